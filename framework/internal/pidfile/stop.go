package pidfile

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// StopOptions say which processes Stop stops and how long it waits for them.
type StopOptions struct {
	PID     int           // stop only the process with this pid; 0: every running process of the folder
	Timeout time.Duration // how long a process has to exit after SIGTERM before it gets SIGKILL
	// By and TimeoutName go into the "cron killed" line recorded in a killed process's log: who stopped
	// it (e.g. a command's name) and how Timeout is named (e.g. a flag: "still running <TimeoutName> after
	// SIGTERM"; "" writes the duration itself).
	By, TimeoutName string
}

// StopReport says what Stop did, for the caller to print.
type StopReport struct {
	// NotRunning is true when there was nothing to stop: no running process of this pid namespace and
	// boot (with StopOptions.PID: that pid is not the one of a running process of the folder).
	NotRunning bool
	// Untrusted says, for each running process that was not signalled because its pidfile was written in
	// another pid namespace or boot, why (only without StopOptions.PID; with it, that is Stop's error).
	Untrusted []error
	Stopped   []Stopped // the processes that exited, in the order they were waited for
}

// Stopped is a process that Stop ended.
type Stopped struct {
	Entry  Entry         // its pidfile as listed before the stop
	Took   time.Duration // from its SIGTERM until it was gone
	Killed bool          // it got SIGKILL after StopOptions.Timeout
	Log    string        // with Killed: the log file the kill was recorded in; "" when it has none
}

// Stop stops the processes of folder that hold their pidfile (all, or options.PID) and are of this pid
// namespace and boot: SIGTERM, then SIGKILL after options.Timeout, recording the kill in the process's log.
// It returns once each has exited and released its pidfile (waiting at most killWait after a SIGKILL, or
// until ctx is done), and removes the stale pidfiles. It never signals a pid whose pidfile lock is not
// held: the process is looked up first (a pidfd on Linux), the lock is checked after, and the signal goes
// through that handle, so a pid reused meanwhile is never hit. The error names the unreadable pidfiles
// that a process holds (then nothing is signalled), the processes that could not be signalled or are
// still there, and a pidfile that could not be removed.
func Stop(ctx context.Context, folder Folder, options StopOptions) (StopReport, error) {
	entries, err := folder.List()
	if err != nil {
		return StopReport{}, err
	}
	report, targets, err := stopTargets(entries, options.PID)
	if err != nil || len(targets) == 0 {
		_, staleErr := folder.RemoveStale()
		return report, errors.Join(err, staleErr)
	}
	var signalled []signalledProcess
	var errs []error
	for _, entry := range targets {
		process, err := signalIfOwner(folder, entry, syscall.SIGTERM)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if process != nil {
			signalled = append(signalled, signalledProcess{entry: entry, process: process, since: time.Now()})
		}
	}
	for _, target := range signalled {
		stopped, err := target.waitOrKill(ctx, folder, options)
		if err == nil || stopped.Killed {
			report.Stopped = append(report.Stopped, stopped)
		}
		errs = append(errs, err)
		target.process.close()
	}
	_, err = folder.RemoveStale()
	return report, errors.Join(append(errs, err)...)
}

// stopTargets returns the entries to signal: pid's (an error when it cannot be), or every running one of
// this namespace, reporting those of another namespace; the error names the unreadable pidfiles held.
func stopTargets(entries []Entry, pid int) (StopReport, []Entry, error) {
	if pid != 0 {
		for _, entry := range entries {
			if entry.PID == pid && entry.Running {
				return StopReport{}, []Entry{entry}, stoppable(entry)
			}
		}
		return StopReport{NotRunning: true}, nil, nil
	}
	var report StopReport
	var targets []Entry
	var errs []error
	for _, entry := range entries {
		switch err := stoppable(entry); {
		case !entry.Running:
		case err != nil && entry.Err == nil:
			report.Untrusted = append(report.Untrusted, err)
		case err != nil:
			errs = append(errs, err)
		default:
			targets = append(targets, entry)
		}
	}
	report.NotRunning = len(targets) == 0 && len(errs) == 0
	return report, targets, errors.Join(errs...)
}

// stoppable returns why a running entry must not be signalled, or nil.
func stoppable(entry Entry) error {
	switch {
	case entry.Err != nil:
		return fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path)
	case entry.Foreign != "":
		return fmt.Errorf("pidfile %s was written by a cron process of %s, where its pid is %d; here that pid names "+
			"another process or none, so stop it from where it runs", entry.Path, entry.Foreign, entry.PID)
	}
	return nil
}
