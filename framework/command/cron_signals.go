package command

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// stopSignals receives the signals a cron process handles: SIGINT and SIGTERM stop it; SIGHUP stops a
// foreground process (its terminal was closed) and makes a daemon reopen its log files.
type stopSignals struct {
	ch chan os.Signal
}

// notifyStopSignals starts receiving SIGINT, SIGTERM and SIGHUP; call stop to give them back.
func notifyStopSignals() *stopSignals {
	s := &stopSignals{ch: make(chan os.Signal, 4)}
	signal.Notify(s.ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	return s
}

// stop restores the default handling of the signals.
func (s *stopSignals) stop() { signal.Stop(s.ch) }

// wait blocks until a stop signal arrives or ctx is done and returns the reason, for the log: the signal's
// name ("SIGTERM", "SIGINT", "SIGHUP") or the context's cause (e.g. "context canceled"). When onHangup is
// not nil, SIGHUP calls it and waiting goes on.
func (s *stopSignals) wait(ctx context.Context, onHangup func()) string {
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx).Error()
		case received := <-s.ch:
			if received == syscall.SIGHUP && onHangup != nil {
				onHangup()
				continue
			}
			return signalName(received)
		}
	}
}

// signalName returns e.g. "SIGTERM".
func signalName(received os.Signal) string {
	if number, ok := received.(syscall.Signal); ok {
		if name := unix.SignalName(number); name != "" {
			return name
		}
	}
	return received.String()
}
