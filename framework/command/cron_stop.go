package command

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/pidfile"
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
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			return stopCron(cmd.OutOrStdout(), files, *options)
		},
	}
	options.register(cmd)
	return cmd
}

// stopCron stops the cron processes that hold their pidfile (all, or options.pid) and waits until they
// have exited; it says so and returns nil when none runs. It never signals a pid whose pidfile lock is
// not held: the process is looked up first (a pidfd on Linux), the lock is checked after, and the signal
// goes through that handle, so a pid reused meanwhile is never hit.
func stopCron(out io.Writer, files cronFiles, options stopOptions) error {
	entries, err := files.pidfiles.List()
	if err != nil {
		return err
	}
	var targets []pidfile.Entry
	var errs []error
	for _, entry := range entries {
		switch {
		case options.pid != 0 && entry.PID != options.pid:
		case entry.Running && entry.Err != nil:
			errs = append(errs, fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path))
		case entry.Running:
			targets = append(targets, entry)
		}
	}
	if len(targets) == 0 && len(errs) == 0 {
		if options.pid != 0 {
			fmt.Fprintf(out, "no cron process with pid %d is running\n", options.pid)
		} else {
			fmt.Fprintln(out, "cron is not running")
		}
		_, err := files.pidfiles.RemoveStale()
		return err
	}
	var signalled []signalledProcess
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
		errs = append(errs, target.waitOrKill(out, files.pidfiles, options.timeout))
	}
	_, err = files.pidfiles.RemoveStale()
	return errors.Join(append(errs, err)...)
}

type signalledProcess struct {
	entry   pidfile.Entry
	process *os.Process
	since   time.Time
}

// signalIfOwner signals entry's process if it still holds its pidfile; it returns nil, nil when the
// process is gone.
func signalIfOwner(folder pidfile.Folder, entry pidfile.Entry, signal syscall.Signal) (*os.Process, error) {
	process, err := os.FindProcess(entry.PID)
	if err != nil {
		return nil, nil
	}
	current, err := folder.Inspect(entry.PID)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !current.Running) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := process.Signal(signal); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return nil, fmt.Errorf("send %s to cron process %d: %w", signal, entry.PID, err)
	}
	return process, nil
}

// waitOrKill waits until the process has released its pidfile; after timeout it sends SIGKILL and waits
// up to killWait more.
func (t signalledProcess) waitOrKill(out io.Writer, folder pidfile.Folder, timeout time.Duration) error {
	if released(folder, t.entry.PID, t.since.Add(timeout)) {
		fmt.Fprintf(out, "stopped cron process %d (%s) in %s\n", t.entry.PID, t.entry.Record.Mode, time.Since(t.since).Round(time.Millisecond))
		return nil
	}
	if err := t.process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("send SIGKILL to cron process %d: %w", t.entry.PID, err)
	}
	if released(folder, t.entry.PID, time.Now().Add(killWait)) {
		fmt.Fprintf(out, "killed cron process %d with SIGKILL: it was still running %s after SIGTERM (--timeout)\n", t.entry.PID, timeout)
		return nil
	}
	return fmt.Errorf("cron process %d still holds its pidfile %s after SIGKILL", t.entry.PID, t.entry.Path)
}

// released polls until pid's pidfile is gone or unlocked, or deadline passes.
func released(folder pidfile.Folder, pid int, deadline time.Time) bool {
	for {
		entry, err := folder.Inspect(pid)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !entry.Running) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
