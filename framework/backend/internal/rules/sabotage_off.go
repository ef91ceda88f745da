//go:build !hadesabotage

package rules

// SabotageFence is true only in test builds with -tags hadesabotage (see sabotage_on.go).
const SabotageFence = false
