package pidfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// process is a handle on a process that stays bound to it even if its pid is reused: a pidfd, or, on
// kernels without pidfd_open (before 5.3), the pid alone.
type process struct {
	pid int
	fd  int // -1 without a pidfd
}

// openProcess returns a handle on pid, or nil when no such process exists.
func openProcess(pid int) (*process, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return nil, nil
	case errors.Is(err, unix.ENOSYS):
		return &process{pid: pid, fd: -1}, nil
	case err != nil:
		return nil, fmt.Errorf("open a handle on process %d: %w", pid, err)
	}
	return &process{pid: pid, fd: fd}, nil
}

// signal sends sig; a process that has exited meanwhile is not an error.
func (p *process) signal(sig syscall.Signal) error {
	var err error
	if p.fd >= 0 {
		err = unix.PidfdSendSignal(p.fd, sig, nil, 0)
	} else {
		err = syscall.Kill(p.pid, sig)
	}
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("send %s to process %d: %w", sig, p.pid, err)
	}
	return nil
}

// waitExit waits until the process has exited (a zombie counts as exited) or ctx is done, and reports
// whether it exited.
func (p *process) waitExit(ctx context.Context) bool {
	for {
		if p.exited() {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if p.fd < 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		// a pidfd turns readable when its process exits; the poll is bounded so ctx is seen
		fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, 100); err != nil && !errors.Is(err, unix.EINTR) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (p *process) exited() bool {
	if p.fd >= 0 {
		fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0
	}
	return !alive(p.pid)
}

func (p *process) close() {
	if p.fd >= 0 {
		_ = unix.Close(p.fd)
	}
}

// alive reports whether pid exists and is not a zombie, from /proc/<pid>/stat.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
