package console

import (
	"errors"
	"fmt"
	"os"
)

// exitError carries the exit status a command asks for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// WithExitCode returns an error that makes ExitCode return code (1 to 125): err with that status, or, when
// err is nil, a silent one for a command that already said everything (e.g. `cron state` exits 3 when
// nothing runs, as an LSB status does).
func WithExitCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

// ExitCode returns the process exit status for an error returned by Execute: 0 for nil, the code given
// to WithExitCode, 1 for any other error.
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

// Exit ends the process with the outcome of Execute: it prints "Error: <err>" to stderr unless err is
// nil or silent (see WithExitCode), then exits with ExitCode(err). Call it last in main:
// console.Exit(root.Execute(ctx)).
func Exit(err error) {
	if err != nil && err.Error() != "" {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	os.Exit(ExitCode(err))
}
