package kernel

import (
	"errors"
	"fmt"
)

// exitError carries the exit status a command asks for, and whether the command already reported the
// outcome (then console.Exit prints nothing more; the error still has its text for an app that prints it).
type exitError struct {
	code     int
	err      error
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }

func (e *exitError) Unwrap() error { return e.err }

// WithExitCode returns err with exit status code (1 to 125): ExitCode returns code, and console.Exit prints
// "Error: <err>". err says what happened; a nil err gets the text "exit status <code>".
func WithExitCode(code int, err error) error {
	return &exitError{code: code, err: orStatus(code, err)}
}

// WithReportedExitCode is WithExitCode for an outcome the command already reported on its output (e.g.
// `cron state` exits 3 when nothing runs, as an LSB status does): console.Exit prints nothing for it, but the
// error keeps its text (e.g. "cron is not running") for an app that prints errors itself.
func WithReportedExitCode(code int, err error) error {
	return &exitError{code: code, err: orStatus(code, err), reported: true}
}

// orStatus is err, or "exit status <code>" when err is nil: every error has a text.
func orStatus(code int, err error) error {
	if err == nil {
		return fmt.Errorf("exit status %d", code)
	}
	return err
}

// ExitCode returns the process exit status for an error returned by Execute: 0 for nil, the code given
// to WithExitCode or WithReportedExitCode, 1 for any other error.
func ExitCode(err error) int {
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	default:
		return 1
	}
}

// Reported tells whether console.Exit keeps err to itself: nil, or an error of WithReportedExitCode (also
// wrapped).
func Reported(err error) bool {
	var exit *exitError
	return err == nil || (errors.As(err, &exit) && exit.reported)
}
