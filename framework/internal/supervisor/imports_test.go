package supervisor

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The package takes values already parsed: it imports neither cobra, pflag nor the packages of the
// command line.
func TestImportsNoCommandLine(t *testing.T) {
	forbidden := []string{"github.com/spf13/cobra", "github.com/spf13/pflag",
		"github.com/hadeframe/hade/framework/console", "github.com/hadeframe/hade/framework/command"}
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range file.Imports {
			if path, err := strconv.Unquote(spec.Path.Value); err != nil || slices.Contains(forbidden, path) {
				t.Errorf("%s imports %s", name, spec.Path.Value)
			}
		}
	}
}
