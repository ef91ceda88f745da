package name

import (
	"strings"
	"testing"
)

func TestValidateService(t *testing.T) {
	for _, name := range []string{"foo_func_for_test", "a", "billing.report-v2", "A1", strings.Repeat("x", 128)} {
		if err := ValidateService(name); err != nil {
			t.Errorf("ValidateService(%q) = %v, want valid", name, err)
		}
	}
	for name, want := range map[string]string{
		"":                       "empty",
		"has space":              "white space",
		"tab\there":              "white space",
		"a/b":                    "path",
		`a\b`:                    "path",
		"..":                     "path",
		"a..b":                   "path",
		".hidden":                "at byte 0",
		"_x":                     "at byte 0",
		"é":                      "at byte 0",
		"semi;colon":             "';'",
		strings.Repeat("x", 129): "129 bytes",
	} {
		err := ValidateService(name)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "use 1 to 128") {
			t.Errorf("ValidateService(%q) = %v, want an error mentioning %q and what is valid", name, err, want)
		}
	}
}
