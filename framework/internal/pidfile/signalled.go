package pidfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// killWait bounds the wait for a process's exit after SIGKILL.
const killWait = 5 * time.Second

// signalledProcess is a process Stop sent SIGTERM to, since the time in since; Stop closes its handle.
type signalledProcess struct {
	entry   Entry
	process *process
	since   time.Time
}

// signalIfOwner signals entry's process if it still holds its pidfile; it returns nil, nil when the
// process is gone.
func signalIfOwner(folder Folder, entry Entry, signal syscall.Signal) (*process, error) {
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

// waitOrKill waits until the process has exited and its pidfile is released; after options.Timeout it
// sends SIGKILL, records the kill in the process's log, and waits up to killWait more. The Stopped it
// returns is valid when the process is gone: the error is nil, or Stopped.Killed is set and the error
// says the kill could not be recorded.
func (t signalledProcess) waitOrKill(ctx context.Context, folder Folder, options StopOptions) (Stopped, error) {
	if t.waitGone(ctx, folder, t.since.Add(options.Timeout)) {
		return Stopped{Entry: t.entry, Took: time.Since(t.since)}, nil
	}
	if err := t.process.signal(syscall.SIGKILL); err != nil {
		return Stopped{}, err
	}
	recorded, recordErr := recordKill(t.entry, options)
	if !t.waitGone(ctx, folder, time.Now().Add(killWait)) {
		return Stopped{}, errors.Join(fmt.Errorf("cron process %d still runs or holds its pidfile %s %s after SIGKILL",
			t.entry.PID, t.entry.Path, killWait), recordErr)
	}
	return Stopped{Entry: t.entry, Took: time.Since(t.since), Killed: true, Log: recorded}, recordErr
}

// waitGone waits until deadline for the process to exit and then for its pidfile lock to be released
// (at once, unless a process it started kept the descriptor).
func (t signalledProcess) waitGone(ctx context.Context, folder Folder, deadline time.Time) bool {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	return t.process.waitExit(ctx) && released(ctx, folder, t.entry.PID)
}

// released polls until pid's pidfile is gone or unlocked, or ctx is done.
func released(ctx context.Context, folder Folder, pid int) bool {
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
