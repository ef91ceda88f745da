package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testLeaseAcquire: AcquireRun takes a free lease (again when already held by the same run) and names the
// holder of a held one; a claim asking for the lease meanwhile is busy with that run.
func testLeaseAcquire(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	mine := contract.RunLease{Service: "svc", Holder: "a", Tick: now}
	for i := 0; i < 2; i++ { // the second time: already held by it
		if got, err := a.AcquireRun(ctx, mine, time.Minute); err != nil || !sameLease(got, mine) {
			t.Fatalf("acquire #%d = %+v, %v; want taken", i+1, got, err)
		}
	}
	theirs := contract.RunLease{Service: "svc", Holder: "b", Tick: now}
	if got, err := b.AcquireRun(ctx, theirs, time.Minute); err != nil || !sameLease(got, mine) {
		t.Fatalf("acquire of a held lease = %+v, %v; want the holder", got, err)
	}
	if got := leaseClaim(t, b, "svc", "b", now, time.Minute); got.Holder != "b" || !sameLease(got.Busy, mine) {
		t.Fatalf("claim while acquired = %+v; want won by b, busy with a's run", got)
	}
	if got, err := b.AcquireRun(ctx, contract.RunLease{Service: "other", Holder: "b", Tick: now}, time.Minute); err != nil || got.Holder != "b" {
		t.Fatalf("acquire of another service's lease = %+v, %v; want taken: leases are per service", got, err)
	}
}

// testLeaseRelease: a release by the holder frees the lease at once; one naming another holder or tick
// does nothing; releasing a free lease is not an error; an acquired lease expires by its ttl.
func testLeaseRelease(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	mine := contract.RunLease{Service: "svc", Holder: "a", Tick: now}
	theirs := contract.RunLease{Service: "svc", Holder: "b", Tick: now}
	acquire := func(backend contract.RunLeases, lease contract.RunLease, ttl time.Duration, want contract.RunLease) {
		t.Helper()
		if got, err := backend.AcquireRun(ctx, lease, ttl); err != nil || !sameLease(got, want) {
			t.Fatalf("acquire %+v = %+v, %v; want holder %+v", lease, got, err, want)
		}
	}
	acquire(a, mine, time.Minute, mine)
	for _, other := range []contract.RunLease{theirs, {Service: "svc", Holder: "a", Tick: now.Add(time.Second)}} {
		if err := b.ReleaseRun(ctx, other); err != nil {
			t.Fatalf("release of a lease not held (%+v): %v; want nil", other, err)
		}
	}
	acquire(b, theirs, time.Minute, mine)
	if err := a.ReleaseRun(ctx, mine); err != nil {
		t.Fatal(err)
	}
	acquire(a, theirs, time.Second, theirs) // through a: a release may be queued; a's next call follows it
	if err := a.ReleaseRun(ctx, contract.RunLease{Service: "free", Holder: "a", Tick: now}); err != nil {
		t.Fatalf("release of a free lease: %v; want nil", err)
	}
	time.Sleep(2 * time.Second) // b's lease of 1 s has expired
	acquire(a, mine, time.Minute, mine)
}
