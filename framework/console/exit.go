package console

import (
	"fmt"
	"os"

	"github.com/hadeframe/hade/framework/internal/kernel"
)

// Exit ends the process with the outcome of Execute: it prints "Error: <err>" to stderr unless err is nil
// or was already reported on the command's output (`cron state` printing "cron is not running"), then
// exits with err's status: 0 for nil, the LSB status of a status command (e.g. 3: not running), 1 for any
// other error. Call it last in main: console.Exit(root.Execute(ctx)).
func Exit(err error) {
	if !kernel.Reported(err) {
		// A failed write to stderr has nowhere left to be reported; the exit status still tells.
		_, _ = fmt.Fprintln(os.Stderr, "Error:", err)
	}
	os.Exit(kernel.ExitCode(err))
}
