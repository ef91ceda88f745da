package framework_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hadeframe/hade/internal/apicount"
)

// The budget of framework/'s exported API outside internal/: names (types, funcs, vars, consts and
// methods) and struct fields. TestAPIBudget holds the API to a ceiling at or below the budget, today's
// counts, so that a change that adds to the API says so here.
const (
	budgetAPINames  = 120
	budgetAPIFields = 60
	maxAPINames     = 120
	maxAPIFields    = 60
)

// apiDoc is docs/api.md, relative to this package's directory (the working directory of its tests).
var apiDoc = filepath.Join("..", "docs", "api.md")

// regenerateAPI is the command that rewrites docs/api.md from the code.
const regenerateAPI = "HADE_WRITE_API=1 go test -count=1 -run TestAPIListIsCurrent ./framework/"

// scanAPI returns the exported API of framework/ and its packages outside internal/; it fails t when the
// tree cannot be parsed or holds no package.
func scanAPI(t *testing.T) []apicount.Package {
	t.Helper()
	pkgs, err := apicount.Scan(".", "github.com/hadeframe/hade/framework")
	if err != nil {
		t.Fatalf("scan framework/: %v", err)
	}
	if len(pkgs) == 0 {
		t.Fatal("scan framework/: no package found")
	}
	return pkgs
}

// TestAPIListIsCurrent checks that docs/api.md lists exactly what framework/ exports; with
// HADE_WRITE_API=1 it writes docs/api.md instead.
func TestAPIListIsCurrent(t *testing.T) {
	want := apicount.Render(scanAPI(t), regenerateAPI, budgetAPINames, budgetAPIFields)
	if os.Getenv("HADE_WRITE_API") == "1" {
		if err := os.WriteFile(apiDoc, []byte(want), 0o644); err != nil {
			t.Fatalf("write docs/api.md: %v", err)
		}
		t.Logf("wrote %s", apiDoc)
		return
	}
	got, err := os.ReadFile(apiDoc)
	if err != nil {
		t.Fatalf("read docs/api.md: %v; create it with `%s`", err, regenerateAPI)
	}
	if string(got) == want {
		return
	}
	diff := apicount.Diff(string(got), want)
	if diff == "" {
		diff = "(same lines, different order)\n"
	}
	t.Errorf("docs/api.md differs from what the code exports (- only in docs/api.md, + only in the code):\n%s"+
		"Regenerate it with `%s` and review the change.", diff, regenerateAPI)
}

// TestAPIBudget checks that framework/ outside internal/ exports at most maxAPINames names and
// maxAPIFields struct fields (the ceiling on the way to the budget); its failure gives the counts per
// package.
func TestAPIBudget(t *testing.T) {
	pkgs := scanAPI(t)
	names, fields := apicount.Totals(pkgs)
	if names > budgetAPINames || fields > budgetAPIFields {
		t.Logf("%d names and %d fields: %d and %d above the budget of %d and %d", names, fields,
			names-budgetAPINames, fields-budgetAPIFields, budgetAPINames, budgetAPIFields)
	}
	if names <= maxAPINames && fields <= maxAPIFields {
		return
	}
	var perPackage strings.Builder
	for _, pkg := range pkgs {
		n, f := pkg.Counts()
		fmt.Fprintf(&perPackage, "\t%s: %d names, %d fields\n", pkg.Path, n, f)
	}
	t.Errorf("framework/ outside internal/ exports %d names (at most %d; budget %d) and %d struct fields (at "+
		"most %d; budget %d):\n%sdocs/api.md lists them.", names, maxAPINames, budgetAPINames, fields,
		maxAPIFields, budgetAPIFields, perPackage.String())
}

// TestAPICountRules checks what apicount counts on a small tree: each name of a group, methods of
// exported types only (interface methods included, embedded interfaces not), fields with an embedded type
// as one, and no file that build tags exclude, test file or internal/ package.
func TestAPICountRules(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.go": "package p\nimport \"sync\"\nconst (A, b = 1, 2; C = 3)\nvar V, w int\nfunc F() {}\n" +
			"type T[K any] struct { sync.Mutex; *u; X, y int; Z struct{ N int } }\n" +
			"func (T[K]) M() {}\nfunc (*T[K]) m() {}\ntype u struct{ Hidden int }\nfunc (u) Promoted() {}\n" +
			"type I interface { error; Do(); do() }\ntype Alias = u\n",
		"tagged.go":       "//go:build hadenever\n\npackage p\nfunc Tagged() {}\n",
		"p_test.go":       "package p\nfunc Test() {}\n",
		"internal/i/i.go": "package i\nfunc Internal() {}\n",
		"sub/s.go":        "package s\nfunc S() {}\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkgs, err := apicount.Scan(dir, "example.com/p")
	if err != nil {
		t.Fatal(err)
	}
	got := apicount.Render(pkgs, "regenerate", 0, 0)
	want := "\n## example.com/p (9 names, 3 fields)\n\n- A (const)\n- Alias (type)\n- C (const)\n- F (func)\n" +
		"- I (type)\n- I.Do (method)\n- T (type)\n- T.M (method)\n- T.Mutex (field)\n- T.X (field)\n" +
		"- T.Z (field)\n- V (var)\n\n## example.com/p/sub (1 names, 0 fields)\n\n- S (func)\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("apicount.Render of the sample tree:\n%s\nwant it to end with:\n%s", got, want)
	}
}
