package rules

import (
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/contract"
)

// CutRunError returns text cut to contract.MaxRunErrorLength bytes, on a character boundary and ending
// with "…", when it is longer: every backend stores a run's error so, and no record can make a request
// too large.
func CutRunError(text string) string {
	if len(text) <= contract.MaxRunErrorLength {
		return text
	}
	cut := contract.MaxRunErrorLength - len("…")
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}
