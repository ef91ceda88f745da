// Package name checks the names of services and jobs, which become parts of file names and of backend keys
// (the rule contract.Claim.Service states).
package name

import (
	"fmt"
	"strings"
)

// maxLength is the longest name accepted, in bytes.
const maxLength = 128

// ValidateService reports whether name can name a distributed service. A service name becomes part
// of a file name and of a Redis key, so it must be 1 to 128 bytes of ASCII letters, digits, '_', '-' and
// '.', starting with a letter or digit: no spaces, no path separators, no "..". The error names the
// input and what would be valid.
func ValidateService(name string) error {
	return validateName("service name", name)
}

// ValidateJob reports whether name can name a cron job (an entry): the rules of ValidateService,
// since a job name becomes part of the run history's keys.
func ValidateJob(name string) error {
	return validateName("job name", name)
}

func validateName(kind, name string) error {
	const valid = "use 1 to 128 ASCII letters, digits, '_', '-' or '.', starting with a letter or digit"
	switch {
	case name == "":
		return fmt.Errorf("%s is empty: %s", kind, valid)
	case len(name) > maxLength:
		return fmt.Errorf("%s %q is %d bytes long: %s", kind, name, len(name), valid)
	case strings.ContainsAny(name, " \t\r\n\v\f"):
		return fmt.Errorf("%s %q contains white space: %s", kind, name, valid)
	case strings.ContainsAny(name, `/\`) || strings.Contains(name, ".."):
		return fmt.Errorf("%s %q looks like a path: %s", kind, name, valid)
	}
	for i, r := range name {
		letterOrDigit := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		if letterOrDigit || (i > 0 && (r == '_' || r == '-' || r == '.')) {
			continue
		}
		return fmt.Errorf("%s %q has %q at byte %d: %s", kind, name, r, i, valid)
	}
	return nil
}
