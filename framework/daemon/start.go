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
	Pidfiles Folder   // the folder the daemon takes its pidfile in (the daemon calls Acquire itself)
	Output   string   // absolute path of the file the daemon's fds 1 and 2 append to, created with mode 0640
	WorkDir  string   // the daemon's working directory
	Args     []string // the daemon's argv; Args[0] is its process title, which ps shows
	Env      []string // the daemon's whole environment
	// ReadyTimeout bounds the wait for the daemon to hold its pidfile; ReadyTimeoutName is how errors name
	// it, e.g. a flag ("" names none).
	ReadyTimeout     time.Duration
	ReadyTimeoutName string
}

// Start starts this executable again as a daemon (in a new session, with umask 027, stdin from
// /dev/null; see CompleteStart for its side) and returns its pid once the daemon holds its pidfile in
// spec.Pidfiles with its own pid. When the daemon exits first, or is not up within spec.ReadyTimeout (it
// is killed then), or ctx is done first (it is killed too), the error says so and adds what the daemon
// printed to spec.Output.
func Start(ctx context.Context, spec Spec) (pid int, err error) {
	outputStart := fileSize(spec.Output)
	handoff := &godaemon.Context{
		LogFileName: spec.Output, // absolute: the parent opens it
		LogFilePerm: logFileMode,
		WorkDir:     spec.WorkDir,
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
	// decided below, by the child's pidfile.
	handoffErr := err
	if err := waitReady(ctx, spec, child); err != nil {
		return 0, fmt.Errorf("%w%s", err, describeOutput(spec.Output, outputStart, handoffErr))
	}
	return child.Pid, nil
}

// waitReady polls until the child holds its pidfile with its own pid, has exited, or spec.ReadyTimeout
// passed or ctx is done (then it kills the child, which is ours).
func waitReady(ctx context.Context, spec Spec, child *os.Process) error {
	deadline := time.Now().Add(spec.ReadyTimeout)
	for {
		entry, err := spec.Pidfiles.Inspect(child.Pid)
		if err == nil && entry.Running && entry.Err == nil && entry.Record.PID == child.Pid {
			return nil
		}
		var status syscall.WaitStatus
		// an error (none is expected: the child is ours) leaves the exit to be seen at a later poll
		if pid, err := syscall.Wait4(child.Pid, &status, syscall.WNOHANG, nil); err == nil && pid == child.Pid {
			return fmt.Errorf("the cron daemon (pid %d) exited before it was up: %s", child.Pid, describeStatus(status))
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			killErr := child.Kill()
			_, _ = child.Wait() // reaps the child killed just above; its status says nothing more
			return errors.Join(notUpError(ctx, spec, child.Pid), killErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// notUpError says that the daemon pid was not up within spec.ReadyTimeout, or when ctx was done, and was
// killed.
func notUpError(ctx context.Context, spec Spec, pid int) error {
	if ctx.Err() != nil {
		return fmt.Errorf("the cron daemon (pid %d) was not up when its start was cancelled (%w); it was killed",
			pid, context.Cause(ctx))
	}
	name := ""
	if spec.ReadyTimeoutName != "" {
		name = " (" + spec.ReadyTimeoutName + ")"
	}
	return fmt.Errorf("the cron daemon (pid %d) was not up after %s%s; it was killed", pid, spec.ReadyTimeout, name)
}

func describeStatus(status syscall.WaitStatus) string {
	if status.Signaled() {
		return "killed by " + status.Signal().String()
	}
	return fmt.Sprintf("exit status %d", status.ExitStatus())
}
