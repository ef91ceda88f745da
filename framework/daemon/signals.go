package daemon

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signals receives the signals a supervised process handles: SIGINT and SIGTERM stop it; SIGHUP stops a
// foreground process (its terminal was closed) and makes a daemon reopen its log files. From
// NotifySignals to Stop, these signals no longer end the process by default.
type Signals struct {
	ch chan os.Signal
}

// NotifySignals starts receiving SIGINT, SIGTERM and SIGHUP; call Stop to give them back.
func NotifySignals() *Signals {
	s := &Signals{ch: make(chan os.Signal, 4)}
	signal.Notify(s.ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	return s
}

// Stop restores the default handling of the signals.
func (s *Signals) Stop() { signal.Stop(s.ch) }

// Wait blocks until a stop signal arrives or ctx is done and returns the reason, for the log: the signal's
// name ("SIGTERM", "SIGINT", "SIGHUP") or the context's cause (e.g. "context canceled"). When onHangup is
// not nil, SIGHUP calls it (on the caller's goroutine) and waiting goes on.
func (s *Signals) Wait(ctx context.Context, onHangup func()) string {
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
