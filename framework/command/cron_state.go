package command

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
)

func newCronStateCommand(root *console.Root) *cobra.Command {
	return &cobra.Command{
		Use:   "state",
		Short: "Show whether cron processes of this base folder are running",
		Long: `Show the cron processes of this base folder: pid, since when, mode, app id and log. A process is
running while it holds the lock on its pidfile, so a pidfile left by a killed process reads as not running.
The last line names the distributed provider and whether it answers; it exits non-zero when the provider
cannot be used (e.g. a wrong Redis password) or a pidfile is unreadable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			stateErr := printState(cmd.OutOrStdout(), files, time.Now())
			line, providerErr := describeProvider(cmd, root)
			fmt.Fprintln(cmd.OutOrStdout(), line)
			return errors.Join(stateErr, providerErr)
		},
	}
}

// printState prints one line per running cron process, or "cron is not running". It returns an error
// naming each unreadable pidfile.
func printState(out io.Writer, files cronFiles, now time.Time) error {
	entries, err := files.pidfiles.List()
	if err != nil {
		return err
	}
	var errs []error
	running := 0
	for _, entry := range entries {
		switch {
		case entry.Err != nil && entry.Running:
			errs = append(errs, fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path))
		case entry.Err != nil:
			errs = append(errs, fmt.Errorf("%w; no process holds it, so it can be removed", entry.Err))
		case entry.Running:
			running++
			record := entry.Record
			fmt.Fprintf(out, "cron is running: pid %d, since %s (%s ago), %s, app_id %s, log %s\n",
				record.PID, record.StartedAt.Format(time.RFC3339), now.Sub(record.StartedAt).Round(time.Second),
				record.Mode, record.AppID, record.Log)
		}
	}
	if running == 0 {
		fmt.Fprintf(out, "cron is not running (no locked pidfile in %s)\n", files.pidfiles.Path)
	}
	return errors.Join(errs...)
}
