package daemon

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	godaemon "github.com/sevlyar/go-daemon"
)

// IsStarted reports whether this process is a daemon that Start started and that has not called
// CompleteStart yet.
func IsStarted() bool { return godaemon.WasReborn() }

// CompleteStart is the daemon's side of Start, to call first in a process for which IsStarted is true: it
// ignores SIGHUP until NotifySignals (a logrotate SIGHUP while starting must not end the daemon),
// completes go-daemon's hand-off, and stops passing the daemon's marker and descriptors on to the
// processes the daemon starts. The error says the hand-off failed.
func CompleteStart() error {
	signal.Ignore(syscall.SIGHUP)
	if _, err := new(godaemon.Context).Reborn(); err != nil {
		return fmt.Errorf("daemon hand-off: %w", err)
	}
	if err := os.Unsetenv(godaemon.MARK_NAME); err != nil {
		return err
	}
	syscall.CloseOnExec(3) // go-daemon leaves /dev/null open on fd 3
	return nil
}
