//go:build hadeclock

// TEST ONLY. Built with -tags hadeclock, the framework's clock is off by HADE_TEST_CLOCK_OFFSET: see
// clock.go. Never build a real binary with this tag.

package clock

import (
	"fmt"
	"os"
	"time"
)

// Offset is added to the host clock.
var Offset = parseOffset(os.Getenv(EnvOffset))

func parseOffset(text string) time.Duration {
	if text == "" {
		return 0
	}
	offset, err := time.ParseDuration(text)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q (a -tags hadeclock test build) is not a Go duration such as -700ms: %v\n", EnvOffset, text, err)
		os.Exit(2)
	}
	return offset
}
