package apicount

import (
	"fmt"
	"strings"
)

// Totals returns the names and fields of all pkgs together (see Package.Counts).
func Totals(pkgs []Package) (names, fields int) {
	for _, pkg := range pkgs {
		n, f := pkg.Counts()
		names, fields = names+n, fields+f
	}
	return names, fields
}

// Render returns the Markdown of docs/api.md: a header naming how to regenerate it (regenerate), the
// totals against the budget (maxNames, maxFields), then per package a heading with its counts and one line
// per item, e.g. "- Root.AddCronCommand (method)".
func Render(pkgs []Package, regenerate string, maxNames, maxFields int) string {
	var b strings.Builder
	names, fields := Totals(pkgs)
	fmt.Fprintf(&b, "# Exported API of framework/\n\n")
	fmt.Fprintf(&b, "Generated from the code; do not edit. Regenerate with `%s`.\n\n", regenerate)
	fmt.Fprintf(&b, "Counted, in every package under framework/ outside internal/ (non-test files the default "+
		"build context matches): exported top-level types, funcs, vars and consts (each name of a group); "+
		"exported methods of exported types, interface methods included and promoted methods excluded "+
		"(names); exported fields of exported struct types, an embedded exported type as one field "+
		"(fields).\n\n")
	fmt.Fprintf(&b, "**%d names, %d fields; budget %d and %d.**\n", names, fields, maxNames, maxFields)
	for _, pkg := range pkgs {
		n, f := pkg.Counts()
		fmt.Fprintf(&b, "\n## %s (%d names, %d fields)\n\n", pkg.Path, n, f)
		for _, item := range pkg.Items {
			fmt.Fprintf(&b, "- %s (%s)\n", item.Name, item.Kind)
		}
	}
	return b.String()
}

// Diff returns the lines of got missing from want, each prefixed "- ", then the lines of want missing from
// got, each prefixed "+ ", in order; "" when both hold the same lines (maybe in a different order).
func Diff(got, want string) string {
	var b strings.Builder
	for _, side := range []struct{ lines, other, sign string }{{got, want, "- "}, {want, got, "+ "}} {
		seen := map[string]int{}
		for _, line := range strings.Split(side.other, "\n") {
			seen[line]++
		}
		for _, line := range strings.Split(side.lines, "\n") {
			if seen[line] > 0 {
				seen[line]--
			} else {
				b.WriteString(side.sign + line + "\n")
			}
		}
	}
	return b.String()
}
