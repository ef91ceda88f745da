package command

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/pidfile"
)

// stateNotRunning is the exit status of `cron state` when no cron process of this base folder and pid
// namespace runs, as an LSB `status` action says "program is not running".
const stateNotRunning = 3

func newCronStateCommand(root *console.Root) *cobra.Command {
	return &cobra.Command{
		Use:   "state",
		Short: "Show whether cron processes of this base folder are running",
		Long: `Show the cron processes of this base folder: pid, since when, mode, app id, distributed provider
(secrets redacted) and log. A process is running while it holds the lock on its pidfile, so a pidfile left
by a killed process reads as not running. A process whose pidfile was written in another pid namespace or
boot (a container sharing the folder) is listed as such and not trusted: its pid means nothing here.
The last line names the distributed provider of this command's settings and whether it answers.
Exit status, as an LSB status: 0 running, 3 not running, 1 when a pidfile is unreadable or the provider
cannot be used (e.g. a wrong Redis password). It creates no file.`,
		Annotations: operation,
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			running, stateErr := printState(out, files, time.Now())
			own := describeSettings(redactSettings(processSettings(cmd, files)))
			for _, entry := range running {
				if theirs := describeSettings(entry.Record.Settings); theirs != own && entry.Record.Settings != nil {
					fmt.Fprintf(out, "note: pid %d uses %s; the line below is about this command's settings (%s)\n", entry.PID, theirs, own)
				}
			}
			line, providerErr := describeProvider(cmd, root, files)
			fmt.Fprintln(out, line)
			if err := errors.Join(stateErr, providerErr); err != nil {
				return err
			}
			if len(running) == 0 {
				return console.WithExitCode(stateNotRunning, nil)
			}
			return nil
		},
	}
}

// printState prints one line per running cron process, or that none runs and where it looked; it
// returns the running entries of this pid namespace and boot, and an error naming each unreadable
// pidfile.
func printState(out io.Writer, files cronFiles, now time.Time) ([]pidfile.Entry, error) {
	entries, err := files.pidfiles.List()
	if err != nil {
		return nil, err
	}
	var errs []error
	var running []pidfile.Entry
	for _, entry := range entries {
		record := entry.Record
		switch {
		case entry.Err != nil && entry.Running:
			errs = append(errs, fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path))
		case entry.Err != nil:
			errs = append(errs, fmt.Errorf("%w; no process holds it, so it can be removed", entry.Err))
		case entry.Running && entry.Foreign != "":
			fmt.Fprintf(out, "cron process of %s, not trusted here: pid %d there, since %s, %s, %s, log %s; "+
				"it holds pidfile %s, but its pid names another process or none here\n",
				entry.Foreign, record.PID, record.StartedAt.Format(time.RFC3339), record.Mode,
				describeSettings(record.Settings), record.Log, entry.Path)
		case entry.Running:
			running = append(running, entry)
			fmt.Fprintf(out, "cron is running: pid %d, since %s (%s ago), %s, app_id %s, %s, log %s\n",
				record.PID, record.StartedAt.Format(time.RFC3339), now.Sub(record.StartedAt).Round(time.Second),
				record.Mode, record.AppID, describeSettings(record.Settings), record.Log)
		}
	}
	if len(running) == 0 {
		fmt.Fprintf(out, "cron is not running (%s)\n", files.whereNothingRuns())
	}
	return running, errors.Join(errs...)
}
