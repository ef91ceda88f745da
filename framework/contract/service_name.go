package contract

import (
	"fmt"
	"strings"
)

// MaxServiceNameLength is the longest service name accepted, in bytes.
const MaxServiceNameLength = 128

// ValidateServiceName reports whether name can name a distributed service. A service name becomes part
// of a file name and of a Redis key, so it must be 1 to 128 bytes of ASCII letters, digits, '_', '-' and
// '.', starting with a letter or digit: no spaces, no path separators, no "..". The error names the
// input and what would be valid.
func ValidateServiceName(name string) error {
	const valid = "use 1 to 128 ASCII letters, digits, '_', '-' or '.', starting with a letter or digit"
	switch {
	case name == "":
		return fmt.Errorf("service name is empty: %s", valid)
	case len(name) > MaxServiceNameLength:
		return fmt.Errorf("service name %q is %d bytes long: %s", name, len(name), valid)
	case strings.ContainsAny(name, " \t\r\n\v\f"):
		return fmt.Errorf("service name %q contains white space: %s", name, valid)
	case strings.ContainsAny(name, `/\`) || strings.Contains(name, ".."):
		return fmt.Errorf("service name %q looks like a path: %s", name, valid)
	}
	for i, r := range name {
		letterOrDigit := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		if letterOrDigit || (i > 0 && (r == '_' || r == '-' || r == '.')) {
			continue
		}
		return fmt.Errorf("service name %q has %q at byte %d: %s", name, r, i, valid)
	}
	return nil
}
