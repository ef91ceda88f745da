// Package apicount lists a source tree's exported API by parsing its Go files (go/build, go/parser; no
// type checking, no network). framework/api_test.go uses it to hold framework/ to its API budget.
package apicount

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Item is one counted name: Name is "X" for a top-level name and "T.X" for a method or field of type T;
// Kind is "type", "func", "var", "const", "method" or "field".
type Item struct {
	Name string
	Kind string
}

// Package is the exported API of one package: its import path and its items, sorted by Name.
type Package struct {
	Path  string
	Items []Item
}

// Counts returns how many of p's items are names (fields excluded, methods included) and how many are
// fields.
func (p Package) Counts() (names, fields int) {
	for _, item := range p.Items {
		if item.Kind == "field" {
			fields++
		} else {
			names++
		}
	}
	return names, fields
}

// Scan lists the exported API of every package in the tree at dir, whose import path is importPath,
// sorted by import path. It skips directories named internal or testdata or starting with "." or "_",
// and directories without non-test Go files; it reads the files go/build's default context matches (build
// tags and GOOS/GOARCH suffixes honoured, test files excluded). It fails on an unreadable directory, a
// directory holding two packages, or a file that does not parse.
func Scan(dir, importPath string) ([]Package, error) {
	var pkgs []Package
	err := filepath.WalkDir(dir, func(file string, entry fs.DirEntry, err error) error {
		if err != nil || !entry.IsDir() {
			return err
		}
		name := entry.Name()
		if file != dir && (name == "internal" || name == "testdata" || name[0] == '.' || name[0] == '_') {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(dir, file)
		if err != nil {
			return err
		}
		pkg, err := scanDir(file, path.Join(importPath, filepath.ToSlash(rel)))
		if err != nil || pkg == nil {
			return err
		}
		pkgs = append(pkgs, *pkg)
		return nil
	})
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, err
}

// scanDir returns the exported API of the package in dir, or nil when dir has no non-test Go files.
func scanDir(dir, importPath string) (*Package, error) {
	buildPkg, err := build.Default.ImportDir(dir, 0)
	if _, none := err.(*build.NoGoError); none {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	pkg := &Package{Path: importPath}
	fset := token.NewFileSet()
	for _, name := range buildPkg.GoFiles {
		file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range file.Decls {
			pkg.Items = append(pkg.Items, declItems(decl)...)
		}
	}
	sort.Slice(pkg.Items, func(i, j int) bool { return pkg.Items[i].Name < pkg.Items[j].Name })
	return pkg, nil
}

// declItems returns the exported items one top-level declaration adds.
func declItems(decl ast.Decl) []Item {
	var items []Item
	switch decl := decl.(type) {
	case *ast.FuncDecl:
		if decl.Recv == nil {
			items = appendIf(items, decl.Name.Name, "func")
		} else if recv := typeName(decl.Recv.List[0].Type); ast.IsExported(recv) {
			items = appendIf(items, recv+"."+decl.Name.Name, "method")
		}
	case *ast.GenDecl:
		for _, spec := range decl.Specs {
			switch spec := spec.(type) {
			case *ast.TypeSpec:
				items = append(items, typeItems(spec)...)
			case *ast.ValueSpec:
				for _, name := range spec.Names {
					items = appendIf(items, name.Name, decl.Tok.String()) // "var" or "const"
				}
			}
		}
	}
	return items
}

// typeItems returns an exported type's items: the type, its struct's fields (an embedded type as one
// field named after it) or its interface's methods (embedded interfaces and type sets excluded).
func typeItems(spec *ast.TypeSpec) []Item {
	name := spec.Name.Name
	if !ast.IsExported(name) {
		return nil
	}
	items := []Item{{Name: name, Kind: "type"}}
	if spec.Assign.IsValid() { // an alias: the aliased type's members are counted where it is declared
		return items
	}
	switch typ := spec.Type.(type) {
	case *ast.StructType:
		for _, field := range typ.Fields.List {
			if len(field.Names) == 0 {
				items = appendIf(items, name+"."+typeName(field.Type), "field")
			}
			for _, fieldName := range field.Names {
				items = appendIf(items, name+"."+fieldName.Name, "field")
			}
		}
	case *ast.InterfaceType:
		for _, method := range typ.Methods.List {
			if _, isFunc := method.Type.(*ast.FuncType); isFunc {
				items = appendIf(items, name+"."+method.Names[0].Name, "method")
			}
		}
	}
	return items
}

// appendIf appends Item{name, kind} to items when name's last element is exported.
func appendIf(items []Item, name, kind string) []Item {
	if ast.IsExported(name[strings.LastIndexByte(name, '.')+1:]) {
		items = append(items, Item{Name: name, Kind: kind})
	}
	return items
}

// typeName returns the name of the type a receiver or embedded field expression denotes: T for T, *T,
// pkg.T, T[K] and *pkg.T[K, V]; "" for any other expression.
func typeName(expr ast.Expr) string {
	switch expr := expr.(type) {
	case *ast.Ident:
		return expr.Name
	case *ast.StarExpr:
		return typeName(expr.X)
	case *ast.SelectorExpr:
		return expr.Sel.Name
	case *ast.IndexExpr:
		return typeName(expr.X)
	case *ast.IndexListExpr:
		return typeName(expr.X)
	}
	return ""
}
