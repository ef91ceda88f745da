package command

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// stopOptions are the flags of `cron stop` and `cron restart`.
type stopOptions struct {
	timeout time.Duration
	pid     int
}

func (o *stopOptions) register(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.timeout, "timeout", 15*time.Second, "how long to wait for a process to exit after SIGTERM before sending SIGKILL")
	cmd.Flags().IntVar(&o.pid, "pid", 0, "stop only the cron process with this pid (default: all of this base folder)")
}

func newCronStopCommand(_ *kernel.Root) *cobra.Command {
	options := &stopOptions{}
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop the running cron processes of this base folder (SIGTERM, then SIGKILL after --timeout)",
		Long: `Stop the running cron processes of this base folder: SIGTERM, then SIGKILL after --timeout; it
returns once each has exited. With nothing running it says so and exits 0; with --pid N it exits 1 when N
is not a running cron process of this base folder. A process whose pidfile was written in another pid
namespace or boot (a container sharing the folder) is never signalled: its pid means another process here.
A SIGKILL is recorded in the killed daemon's log (cron.log), as its runs still going were cut short.`,
		Annotations: operation,
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			return stopCron(cmd.Context(), cmd.OutOrStdout(), files, *options)
		},
	}
	options.register(cmd)
	return cmd
}

// stopCron stops the cron processes of this namespace that hold their pidfile (all, or options.pid), as
// supervisor.Stop, and prints what it did; it says so and returns nil when none runs.
func stopCron(ctx context.Context, out io.Writer, files supervisor.Files, options stopOptions) error {
	report, err := supervisor.Stop(ctx, files, options.pid, options.timeout)
	if report.NotRunning && options.pid != 0 {
		return err // says that pid is not running
	}
	for _, untrusted := range report.Untrusted {
		fmt.Fprintf(out, "not signalled: %v\n", untrusted)
	}
	if report.NotRunning {
		fmt.Fprintf(out, "cron is not running (%s)\n", files.WhereNothingRuns())
	}
	for _, stopped := range report.Stopped {
		printStopped(out, stopped, options.timeout)
	}
	return err
}

// printStopped says that a process was stopped, or killed with SIGKILL after timeout.
func printStopped(out io.Writer, stopped pidfile.Stopped, timeout time.Duration) {
	if !stopped.Killed {
		fmt.Fprintf(out, "stopped cron process %d (%s) in %s\n", stopped.Entry.PID, stopped.Entry.Record.Mode,
			stopped.Took.Round(time.Millisecond))
		return
	}
	recorded := ""
	if stopped.Log != "" {
		recorded = " (recorded in " + stopped.Log + ")"
	}
	fmt.Fprintf(out, "killed cron process %d with SIGKILL: it was still running %s after SIGTERM (--timeout); "+
		"runs still going were cut short%s\n", stopped.Entry.PID, timeout, recorded)
}
