package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/daemon"
)

// killWait bounds the wait for a process's exit after SIGKILL.
const killWait = 5 * time.Second

// stopOptions are the flags of `cron stop` and `cron restart`.
type stopOptions struct {
	timeout time.Duration
	pid     int
}

func (o *stopOptions) register(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.timeout, "timeout", 15*time.Second, "how long to wait for a process to exit after SIGTERM before sending SIGKILL")
	cmd.Flags().IntVar(&o.pid, "pid", 0, "stop only the cron process with this pid (default: all of this base folder)")
}

func newCronStopCommand(_ *console.Root) *cobra.Command {
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

// stopCron stops the cron processes of this namespace that hold their pidfile (all, or options.pid) and
// waits until they have exited; it says so and returns nil when none runs. It never signals a pid whose
// pidfile lock is not held: the process is looked up first (a pidfd on Linux), the lock is checked after,
// and the signal goes through that handle, so a pid reused meanwhile is never hit.
func stopCron(ctx context.Context, out io.Writer, files cronFiles, options stopOptions) error {
	entries, err := files.pidfiles.List()
	if err != nil {
		return err
	}
	targets, err := stopTargets(out, files, entries, options.pid)
	if err != nil || len(targets) == 0 {
		_, staleErr := files.pidfiles.RemoveStale()
		return errors.Join(err, staleErr)
	}
	var signalled []signalledProcess
	var errs []error
	for _, entry := range targets {
		process, err := signalIfOwner(files.pidfiles, entry, syscall.SIGTERM)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if process != nil {
			signalled = append(signalled, signalledProcess{entry: entry, process: process, since: time.Now()})
		}
	}
	for _, target := range signalled {
		errs = append(errs, target.waitOrKill(ctx, out, files.pidfiles, options.timeout))
		target.process.close()
	}
	_, err = files.pidfiles.RemoveStale()
	return errors.Join(append(errs, err)...)
}

// stopTargets returns the entries to signal: pid's (an error when it is not a running cron process of this
// namespace), or every running one of this namespace, telling out about those of another namespace. It
// prints that nothing runs when nothing is to be done.
func stopTargets(out io.Writer, files cronFiles, entries []daemon.Entry, pid int) ([]daemon.Entry, error) {
	if pid != 0 {
		for _, entry := range entries {
			if entry.PID == pid && entry.Running {
				return []daemon.Entry{entry}, stoppable(entry)
			}
		}
		return nil, console.WithExitCode(1, fmt.Errorf("pid %d is not a running cron process of base folder %s (%s)",
			pid, files.app.BaseFolder(), files.whereNothingRuns()))
	}
	var targets []daemon.Entry
	var errs []error
	for _, entry := range entries {
		switch err := stoppable(entry); {
		case !entry.Running:
		case err != nil && entry.Err == nil:
			fmt.Fprintf(out, "not signalled: %v\n", err)
		case err != nil:
			errs = append(errs, err)
		default:
			targets = append(targets, entry)
		}
	}
	if len(targets) == 0 && len(errs) == 0 {
		fmt.Fprintf(out, "cron is not running (%s)\n", files.whereNothingRuns())
	}
	return targets, errors.Join(errs...)
}

// stoppable returns why a running entry must not be signalled, or nil.
func stoppable(entry daemon.Entry) error {
	switch {
	case entry.Err != nil:
		return fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path)
	case entry.Foreign != "":
		return fmt.Errorf("pidfile %s was written by a cron process of %s, where its pid is %d; here that pid names "+
			"another process or none, so stop it from where it runs", entry.Path, entry.Foreign, entry.PID)
	}
	return nil
}

type signalledProcess struct {
	entry   daemon.Entry
	process *process
	since   time.Time
}

// signalIfOwner signals entry's process if it still holds its pidfile; it returns nil, nil when the
// process is gone.
func signalIfOwner(folder daemon.Folder, entry daemon.Entry, signal syscall.Signal) (*process, error) {
	process, err := openProcess(entry.PID)
	if err != nil || process == nil {
		return nil, err
	}
	current, err := folder.Inspect(entry.PID)
	if errors.Is(err, os.ErrNotExist) || (err == nil && (!current.Running || !current.Record.StartedAt.Equal(entry.Record.StartedAt))) {
		process.close()
		return nil, nil
	}
	if err == nil {
		err = process.signal(signal)
	}
	if err != nil {
		process.close()
		return nil, fmt.Errorf("cron process %d: %w", entry.PID, err)
	}
	return process, nil
}

// waitOrKill waits until the process has exited and its pidfile is released; after timeout it sends
// SIGKILL, records the kill in the process's log, and waits up to killWait more.
func (t signalledProcess) waitOrKill(ctx context.Context, out io.Writer, folder daemon.Folder, timeout time.Duration) error {
	if t.waitGone(ctx, folder, t.since.Add(timeout)) {
		fmt.Fprintf(out, "stopped cron process %d (%s) in %s\n", t.entry.PID, t.entry.Record.Mode, time.Since(t.since).Round(time.Millisecond))
		return nil
	}
	if err := t.process.signal(syscall.SIGKILL); err != nil {
		return err
	}
	recorded, recordErr := recordKill(t.entry, timeout)
	if !t.waitGone(ctx, folder, time.Now().Add(killWait)) {
		return errors.Join(fmt.Errorf("cron process %d still runs or holds its pidfile %s %s after SIGKILL",
			t.entry.PID, t.entry.Path, killWait), recordErr)
	}
	fmt.Fprintf(out, "killed cron process %d with SIGKILL: it was still running %s after SIGTERM (--timeout); "+
		"runs still going were cut short%s\n", t.entry.PID, timeout, recorded)
	return recordErr
}

// waitGone waits until deadline for the process to exit and then for its pidfile lock to be released
// (at once, unless a process it started kept the descriptor).
func (t signalledProcess) waitGone(ctx context.Context, folder daemon.Folder, deadline time.Time) bool {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return t.process.waitExit(ctx) && released(ctx, folder, t.entry.PID)
}

// released polls until pid's pidfile is gone or unlocked, or ctx is done.
func released(ctx context.Context, folder daemon.Folder, pid int) bool {
	for {
		entry, err := folder.Inspect(pid)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !entry.Running) {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
