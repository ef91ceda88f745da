package daemon

import (
	"context"
	"syscall"
	"testing"
)

func TestSignalsWaitReturnsTheReason(t *testing.T) {
	signals := NotifySignals()
	defer signals.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if reason := signals.Wait(ctx, nil); reason != "context canceled" {
		t.Fatalf("Wait after cancel = %q, want context canceled", reason)
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	hangups := 0
	if reason := signals.Wait(context.Background(), func() { hangups++ }); reason != "SIGTERM" || hangups != 1 {
		t.Fatalf("Wait = %q after %d hangups, want SIGTERM after 1", reason, hangups)
	}
}
