//go:build !linux

package pidfile

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// process is a handle on a process by pid (no pidfd outside Linux).
type process struct{ pid int }

// openProcess returns a handle on pid, or nil when no such process exists.
func openProcess(pid int) (*process, error) {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return nil, nil
	}
	return &process{pid: pid}, nil
}

// signal sends sig; a process that has exited meanwhile is not an error.
func (p *process) signal(sig syscall.Signal) error {
	if err := syscall.Kill(p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %s to process %d: %w", sig, p.pid, err)
	}
	return nil
}

// waitExit waits until the process is gone or ctx is done, and reports whether it is gone.
func (p *process) waitExit(ctx context.Context) bool {
	for {
		if errors.Is(syscall.Kill(p.pid, 0), syscall.ESRCH) {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) close() {}
