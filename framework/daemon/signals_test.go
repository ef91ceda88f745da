package daemon

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// waitDone returns the cause of ctx once it is done; it fails t after 10s.
func waitDone(t *testing.T, ctx context.Context) string {
	t.Helper()
	select {
	case <-ctx.Done():
		return context.Cause(ctx).Error()
	case <-time.After(10 * time.Second):
		t.Fatal("the signals' context is not done after 10s")
		return ""
	}
}

func TestNotifySignalsEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped, stop := NotifySignals(ctx, nil)
	defer stop()
	cancel()
	if reason := waitDone(t, stopped); reason != "context canceled" {
		t.Fatalf("cause after cancel = %q, want context canceled", reason)
	}
}

func TestNotifySignalsCallsOnHangupThenStopsOnSIGTERM(t *testing.T) {
	hangups := make(chan struct{}, 4)
	stopped, stop := NotifySignals(context.Background(), func() { hangups <- struct{}{} })
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select { // SIGTERM only once SIGHUP was handled: the two are not delivered in order
	case <-hangups:
	case <-time.After(10 * time.Second):
		t.Fatal("onHangup was not called within 10s of SIGHUP")
	}
	if stopped.Err() != nil {
		t.Fatalf("SIGHUP with onHangup stopped the process: %v", context.Cause(stopped))
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if reason := waitDone(t, stopped); reason != "SIGTERM" {
		t.Fatalf("cause after SIGTERM = %q, want SIGTERM", reason)
	}
	stop()
	stop() // a second call does nothing
	if len(hangups) != 0 {
		t.Fatalf("onHangup was called %d more times", len(hangups))
	}
}

func TestNotifySignalsStopsOnSIGHUPWithoutOnHangup(t *testing.T) {
	stopped, stop := NotifySignals(context.Background(), nil)
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if reason := waitDone(t, stopped); reason != "SIGHUP" {
		t.Fatalf("cause after SIGHUP = %q, want SIGHUP", reason)
	}
}
