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
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	hangups := 0
	onHangup := func() { // SIGTERM only once SIGHUP was handled: the two are not delivered in order
		hangups++
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Error(err)
		}
	}
	if reason := signals.Wait(context.Background(), onHangup); reason != "SIGTERM" || hangups != 1 {
		t.Fatalf("Wait = %q after %d hangups, want SIGTERM after 1", reason, hangups)
	}
}
