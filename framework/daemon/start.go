package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	godaemon "github.com/sevlyar/go-daemon"
)

// daemonUmask is the file mode creation mask of a daemon: no access for others.
const daemonUmask = 0o027

// Spec says what Start starts.
type Spec struct {
	Args   []string // the daemon's argv; Args[0] is its process title, which ps shows
	Env    []string // the daemon's whole environment
	Output string   // absolute path of the file the daemon's fds 1 and 2 append to, created with mode 0640
	// Ready reports whether the daemon with this pid is up (e.g. it holds its pidfile); Start calls it every
	// 20ms until it says so. Required.
	Ready func(pid int) bool
}

// Start starts this executable again as a daemon (in a new session, in this process's working directory,
// with umask 027, stdin from /dev/null; see CompleteStart for its side) and returns its pid once
// spec.Ready says the daemon is up. Bound the wait with ctx's deadline: when the daemon exits first, or ctx
// is done first (the daemon is killed then, and the error gives context.Cause(ctx), e.g. a deadline's
// cause naming the wait), the error says so and adds what the daemon printed to spec.Output. It also
// returns an error, before starting anything, when spec.Ready is nil or the working directory is gone.
func Start(ctx context.Context, spec Spec) (pid int, err error) {
	if spec.Ready == nil {
		return 0, errors.New("start a daemon: Spec.Ready is nil")
	}
	workDir, err := os.Getwd()
	if err != nil {
		return 0, fmt.Errorf("find the working directory for the daemon: %w", err)
	}
	outputStart := fileSize(spec.Output)
	handoff := &godaemon.Context{
		LogFileName: spec.Output, // absolute: the parent opens it
		LogFilePerm: logFileMode,
		WorkDir:     workDir, // relative paths resolve in the daemon as they do here
		Umask:       daemonUmask,
		Args:        spec.Args,
		Env:         spec.Env,
	}
	child, err := handoff.Reborn()
	if child == nil {
		if err == nil {
			err = errors.New("go-daemon returned neither a child nor an error")
		}
		return 0, fmt.Errorf("start the cron daemon: %w", err)
	}
	// go-daemon v0.1.6 may report a broken pipe although the child started (its issue #86): readiness is
	// decided below, by spec.Ready.
	handoffErr := err
	if err := waitReady(ctx, spec.Ready, child); err != nil {
		return 0, fmt.Errorf("%w%s", err, describeOutput(spec.Output, outputStart, handoffErr))
	}
	return child.Pid, nil
}

// waitReady polls until ready says the child is up, the child has exited, or ctx is done (then it kills the
// child, which is ours).
func waitReady(ctx context.Context, ready func(pid int) bool, child *os.Process) error {
	for {
		if ready(child.Pid) {
			return nil
		}
		var status syscall.WaitStatus
		// an error (none is expected: the child is ours) leaves the exit to be seen at a later poll
		if pid, err := syscall.Wait4(child.Pid, &status, syscall.WNOHANG, nil); err == nil && pid == child.Pid {
			return fmt.Errorf("the cron daemon (pid %d) exited before it was up: %s", child.Pid,
				describeStatus(status))
		}
		if ctx.Err() != nil {
			killErr := child.Kill()
			_, _ = child.Wait() // reaps the child killed just above; its status says nothing more
			return errors.Join(fmt.Errorf("the cron daemon (pid %d) was not up: %w; it was killed", child.Pid,
				context.Cause(ctx)), killErr)
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func describeStatus(status syscall.WaitStatus) string {
	if status.Signaled() {
		return "killed by " + status.Signal().String()
	}
	return fmt.Sprintf("exit status %d", status.ExitStatus())
}
