package daemon

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// NotifySignals receives the signals a supervised process handles: SIGINT and SIGTERM stop it; SIGHUP stops
// a foreground process (onHangup nil: its terminal was closed) and calls onHangup in a daemon (e.g. to
// reopen its log files), one call at a time, on a goroutine of NotifySignals, and the process goes on.
//
// The returned context stopped is done when a stop signal arrives, with an error naming the signal as its
// cause (context.Cause(stopped).Error() is e.g. "SIGTERM"), or when ctx is done, with ctx's cause. From
// the call until stop, the three signals no longer end the process by default, also after the first stop
// signal. stop restores their default handling, cancels stopped and returns once onHangup is not running;
// it may be called more than once.
func NotifySignals(ctx context.Context, onHangup func()) (stopped context.Context, stop func()) {
	stopped, cancel := context.WithCancelCause(ctx)
	received := make(chan os.Signal, 4)
	signal.Notify(received, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case got := <-received:
				if got == syscall.SIGHUP && onHangup != nil {
					onHangup()
					continue
				}
				cancel(errors.New(signalName(got))) // the first cause stays
			}
		}
	}()
	return stopped, sync.OnceFunc(func() {
		signal.Stop(received)
		close(quit)
		<-done
		cancel(context.Canceled)
	})
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
