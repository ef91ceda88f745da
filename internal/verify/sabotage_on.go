//go:build hadesabotage

package verify

// sabotaged reports whether this binary was built with -tags hadesabotage (backends without fences).
const sabotaged = true
