package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testLeaseBadInput: AcquireRun, RenewRuns and ReleaseRun refuse an invalid service name, an empty holder,
// a zero tick and (where given) a ttl <= 0, and a cancelled context.
func testLeaseBadInput(t *testing.T, open Open) {
	backend := connect(t, open, defaultRetention)()
	ctx := context.Background()
	now := time.Now()
	good := contract.RunLease{Service: "svc", Holder: "a", Tick: now}
	for _, bad := range []contract.RunLease{{Service: "bad name!", Holder: "a", Tick: now}, {Service: "svc", Tick: now}, {Service: "svc", Holder: "a"}} {
		if got, err := backend.AcquireRun(ctx, bad, time.Minute); err == nil {
			t.Errorf("AcquireRun(%+v) = %+v; want an error", bad, got)
		}
		if lost, err := backend.RenewRuns(ctx, []contract.RunLease{good, bad}, time.Minute); err == nil {
			t.Errorf("RenewRuns with %+v = %v; want an error", bad, lost)
		}
		if err := backend.ReleaseRun(ctx, bad); err == nil {
			t.Errorf("ReleaseRun(%+v): no error", bad)
		}
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := backend.AcquireRun(ctx, good, ttl); err == nil {
			t.Errorf("AcquireRun with ttl %s: no error", ttl)
		}
		if _, err := backend.RenewRuns(ctx, []contract.RunLease{good}, ttl); err == nil {
			t.Errorf("RenewRuns with ttl %s: no error", ttl)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if got, err := backend.AcquireRun(canceled, good, time.Minute); err == nil {
		t.Errorf("AcquireRun with a cancelled context = %+v; want an error", got)
	}
}

// testLeaseClosed: the run lease calls of a closed client fail.
func testLeaseClosed(t *testing.T, open Open) {
	backend := closedClient(t, open)
	ctx := context.Background()
	lease := contract.RunLease{Service: "svc", Holder: "a", Tick: time.Now()}
	if _, err := backend.AcquireRun(ctx, lease, time.Minute); err == nil {
		t.Error("AcquireRun after Close: no error")
	}
	if _, err := backend.RenewRuns(ctx, []contract.RunLease{lease}, time.Minute); err == nil {
		t.Error("RenewRuns after Close: no error")
	}
}
