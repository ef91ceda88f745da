package framework_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layer is a package of framework/ (a folder, relative to it) and the import path prefixes its non-test
// files must not import.
type layer struct {
	folder    string
	forbidden []string
	why       string
}

const module = "github.com/hadeframe/hade/"

// commandLine is what parses the command line: the packages below it take values already parsed.
var commandLine = []string{"github.com/spf13/cobra", module + "framework/console", module + "framework/command"}

// layers are the rules of the layout (README "Layout"): contracts depend on nothing, backends on
// contracts, the command line on everything else, never the reverse.
var layers = []layer{
	{"contract", []string{module, "github.com/"}, "contracts depend on the standard library only"},
	{"backend", []string{module + "framework/internal/", module + "framework/backend/"}, "the registry links no backend"},
	{"backend/local", []string{module + "framework/internal/engine", module + "framework/internal/record",
		module + "framework/internal/order"}, "backends store bodies they do not read"},
	{"backend/redis", []string{module + "framework/internal/engine", module + "framework/internal/record",
		module + "framework/internal/order"}, "backends store bodies they do not read"},
	{"backend/etcd", []string{module + "framework/internal/engine", module + "framework/internal/record",
		module + "framework/internal/order"}, "backends store bodies they do not read"},
	{"internal/engine", []string{module + "framework/console", module + "framework/command"},
		"the engine runs cobra commands, but knows no command line of its own"},
	{"internal/cronprocess", append([]string{"github.com/spf13/pflag"}, commandLine...), "it takes parsed values"},
	{"internal/supervisor", append([]string{"github.com/spf13/pflag"}, commandLine...), "it takes parsed values"},
	{"internal/settings", commandLine, "it reads flags as data"},
	{"internal/report", append([]string{"github.com/spf13/pflag"}, commandLine...),
		"it shapes what the commands print, which they write"},
	{"daemon", append([]string{module}, commandLine...), "the daemon package stands alone"},
}

// TestLayers checks each layer's direct imports (of its non-test files) against its rule.
func TestLayers(t *testing.T) {
	for _, l := range layers {
		names, err := filepath.Glob(filepath.Join(l.folder, "*.go"))
		if err != nil || len(names) == 0 {
			t.Fatalf("%s: no Go file (%v)", l.folder, err)
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			for _, path := range imports(t, name) {
				for _, prefix := range l.forbidden {
					if strings.HasPrefix(path, prefix) {
						t.Errorf("%s imports %s: %s", name, path, l.why)
					}
				}
			}
		}
	}
}

// imports returns the import paths of the Go file name; it fails t when the file does not parse.
func imports(t *testing.T, name string) []string {
	t.Helper()
	source, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	file, err := parser.ParseFile(token.NewFileSet(), name, source, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, spec := range file.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			t.Fatalf("%s: import %s: %v", name, spec.Path.Value, err)
		}
		paths = append(paths, path)
	}
	return paths
}
