package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
)

// Stop stops the cron processes of files (of this pid namespace and boot) that hold their pidfile: all,
// or only pid when not 0, as pidfile.Stop does (SIGTERM, then SIGKILL after timeout, which --timeout
// sets; a kill is recorded in the daemon's log as done by cron stop), and returns what it did. When pid is
// not 0 and not running, report.NotRunning is set and the error, of exit status 1, says so and where the
// pidfiles were looked for.
func Stop(ctx context.Context, files Files, pid int, timeout time.Duration) (pidfile.StopReport, error) {
	report, err := pidfile.Stop(ctx, files.Pidfiles, pidfile.StopOptions{PID: pid, Timeout: timeout,
		By: "cron stop", TimeoutName: "--timeout"})
	if report.NotRunning && pid != 0 {
		notRunning := fmt.Errorf("pid %d is not a running cron process of base folder %s (%s)", pid,
			files.App.BaseFolder(), files.WhereNothingRuns())
		return report, errors.Join(kernel.WithExitCode(1, notRunning), err)
	}
	return report, err
}
