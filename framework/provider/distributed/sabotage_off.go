//go:build !hadesabotage

package distributed

// sabotageFence is true only in test builds with -tags hadesabotage (see sabotage_on.go).
const sabotageFence = false
