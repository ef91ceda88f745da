// Package flock wraps flock(2) locks on open files: an exclusive lock taken within a deadline, and a
// non-blocking probe. Locks belong to the open file description: two opens of one path in one process
// exclude each other like two processes do. Closing the file releases its lock.
package flock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// LockWithin takes an exclusive lock on file, retrying until wait has passed. It returns an error naming
// the wait when another holder keeps the lock that long, or the system call's error.
func LockWithin(file *os.File, wait time.Duration) error {
	return LockContext(context.Background(), file, wait)
}

// LockContext is LockWithin that also gives up when ctx ends, with ctx's error (tested with errors.Is).
func LockContext(ctx context.Context, file *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	pause := 50 * time.Microsecond
	var timer *time.Timer // made on the first wait only: most locks are free
	for {
		locked, err := TryLock(file)
		if err != nil || locked {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still locked by another holder after %s", wait)
		}
		if timer == nil {
			timer = time.NewTimer(pause)
			defer timer.Stop()
		} else {
			timer.Reset(pause)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for the lock: %w", ctx.Err())
		case <-timer.C:
		}
		pause = min(pause*2, 5*time.Millisecond)
	}
}

// TryLock takes an exclusive lock on file if nobody holds one. It reports whether it took it; an error is
// returned only when the system call fails for another reason than the lock being held.
func TryLock(file *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, err
		}
	}
}
