package kernel

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	quiet := WithReportedExitCode(3, errors.New("cron is not running"))
	wrapped := fmt.Errorf("state: %w", WithExitCode(4, errors.New("broken")))
	bare := WithExitCode(5, nil)
	for err, want := range map[error]int{nil: 0, quiet: 3, wrapped: 4, bare: 5, errors.New("any"): 1} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
	for err, want := range map[error]string{quiet: "cron is not running", wrapped: "state: broken", bare: "exit status 5",
		WithReportedExitCode(3, nil): "exit status 3"} {
		if err.Error() != want {
			t.Errorf("text %q, want %q", err, want)
		}
	}
}

func TestExitPrintsAllButReportedErrors(t *testing.T) {
	quiet := WithReportedExitCode(3, errors.New("cron is not running"))
	for err, want := range map[error]bool{
		nil:                                  true,
		quiet:                                true,
		fmt.Errorf("state: %w", quiet):       true,
		WithExitCode(1, errors.New("stale")): false,
		errors.New("any"):                    false,
	} {
		if got := Reported(err); got != want {
			t.Errorf("Reported(%v) = %v, want %v", err, got, want)
		}
	}
}
