package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testRunLeases runs the conformance suite of contract.RunLeases, and of claims asking for the run lease
// (contract.Claim.RunLease), against the stores open makes: acquire, busy, release, renew, lost, expiry by
// the ttl, invalid input; the run counts of limited jobs (CountRun); the queues of buffered ticks (QueueRun); the marks of backfilled runs (MarkRun). It takes about 7 s, most of it sleeping.
func testRunLeases(t *testing.T, open Open) {
	t.Run("Claims", func(t *testing.T) { testLeaseClaims(t, open) })
	t.Run("ExpiresUnlessRenewed", func(t *testing.T) { testLeaseExpiry(t, open) })
	t.Run("Acquire", func(t *testing.T) { testLeaseAcquire(t, open) })
	t.Run("Release", func(t *testing.T) { testLeaseRelease(t, open) })
	t.Run("BadInput", func(t *testing.T) { testLeaseBadInput(t, open) })
	t.Run("Closed", func(t *testing.T) { testLeaseClosed(t, open) })
	t.Run("CountRun", func(t *testing.T) { testCountRun(t, open) })
	t.Run("CountRunConcurrent", func(t *testing.T) { testCountRunConcurrent(t, open) })
	t.Run("QueueRun", func(t *testing.T) { testQueueRun(t, open) })
	t.Run("QueueRunTakesExpired", func(t *testing.T) { testQueueRunTakesExpired(t, open) })
	t.Run("QueueRunConcurrent", func(t *testing.T) { testQueueRunConcurrent(t, open) })
	t.Run("MarkRun", func(t *testing.T) { testMarkRun(t, open) })
}

// leaseHold is the hold window of the lease tests' claims: wide, so that their ticks (a few seconds
// around the test's start) stay claimable however slow the machine.
const leaseHold = time.Minute

// leaseClaim claims tick of service for app asking for the run lease (ttl), and returns the answer.
func leaseClaim(t *testing.T, backend contract.Claims, service, app string, tick time.Time, ttl time.Duration) contract.Claimed {
	t.Helper()
	claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: service, AppID: app, Tick: tick,
		HoldTime: leaseHold, Definition: "test", LiveUntil: tick.Add(2 * leaseHold), RunLease: ttl})
	if err != nil {
		t.Fatalf("claim of %s by %s: %v", tick.Format(time.RFC3339Nano), app, err)
	}
	return claimed
}

// sameLease reports whether got names want's holder and tick.
func sameLease(got, want contract.RunLease) bool {
	return got.Holder == want.Holder && got.Tick.Equal(want.Tick)
}

// testLeaseClaims: a claim asking for the run lease wins its tick either way; it takes the lease when no
// other run holds it, and otherwise names the holder (Busy); a re-sent claim answers the same; a release
// frees the lease.
func testLeaseClaims(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	tick := time.Now().Add(-5 * time.Second).Truncate(time.Millisecond)
	first := contract.RunLease{Service: "svc", Holder: "a", Tick: tick}
	if got := leaseClaim(t, a, "svc", "a", tick, time.Minute); got.Holder != "a" || got.Busy.Holder != "" {
		t.Fatalf("first claim = %+v; want won, lease taken", got)
	}
	for _, again := range []contract.Backend{b, a} { // b: the next tick; a: its own again
		got := leaseClaim(t, again, "svc", "b", tick.Add(time.Second), time.Minute)
		if got.Holder != "b" || !sameLease(got.Busy, first) || got.Busy.Service != "svc" {
			t.Fatalf("next tick (or re-sent) = %+v; want won by b, busy with a's run of svc", got)
		}
	}
	if got := leaseClaim(t, b, "other", "b", tick, time.Minute); got.Busy.Holder != "" {
		t.Fatalf("another service = %+v; want its own lease", got)
	}
	if err := b.ReleaseRun(context.Background(), contract.RunLease{Service: "svc", Holder: "b", Tick: tick}); err != nil {
		t.Fatal(err)
	}
	if got := leaseClaim(t, b, "svc", "b", tick.Add(2*time.Second), time.Minute); !sameLease(got.Busy, first) {
		t.Fatalf("after a release by a non-holder = %+v; want still busy with a's run", got)
	}
	if err := a.ReleaseRun(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	// through a: a release may be queued (Redis); what a sends next is decided after it
	if got := leaseClaim(t, a, "svc", "b", tick.Add(3*time.Second), time.Minute); got.Holder != "b" || got.Busy.Holder != "" {
		t.Fatalf("after the holder's release = %+v; want won with the lease", got)
	}
	if got := leaseClaim(t, b, "svc", "b", tick.Add(3*time.Second), time.Minute); got.Busy.Holder != "" {
		t.Fatalf("re-sent winning claim = %+v; want the lease, not busy", got)
	}
	plain, err := a.ClaimTick(context.Background(), contract.Claim{Service: "svc", AppID: "a", Tick: tick.Add(4 * time.Second),
		HoldTime: leaseHold, Definition: "test", LiveUntil: tick.Add(2 * leaseHold)})
	if err != nil || plain.Holder != "a" || plain.Busy.Holder != "" {
		t.Fatalf("claim without a lease = %+v, %v; want won, no lease asked, none named", plain, err)
	}
}

// testLeaseExpiry: a lease not renewed ends ttl after it was taken; renewing keeps it; a renewal of a lost
// lease says so. The ttl is 3 s; every check is at least a second from an expiry.
func testLeaseExpiry(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	const ttl = 3 * time.Second
	tick := time.Now().Add(-5 * time.Second).Truncate(time.Millisecond)
	mine := contract.RunLease{Service: "svc", Holder: "a", Tick: tick}
	taken := time.Now()
	leaseClaim(t, a, "svc", "a", tick, ttl)
	time.Sleep(time.Until(taken.Add(2 * time.Second)))
	renewed := time.Now()
	if lost, err := a.RenewRuns(ctx, []contract.RunLease{mine}, ttl); err != nil || len(lost) != 0 {
		t.Fatalf("renewal of a held lease: lost %v, %v; want none", lost, err)
	}
	time.Sleep(time.Until(taken.Add(ttl + time.Second))) // past the first ttl, within the renewed one
	if got := leaseClaim(t, b, "svc", "b", tick.Add(time.Second), time.Minute); !sameLease(got.Busy, mine) {
		t.Fatalf("claim within the renewed lease = %+v; want busy with a's run", got)
	}
	time.Sleep(time.Until(renewed.Add(ttl + time.Second))) // the renewed lease has expired
	if got := leaseClaim(t, b, "svc", "b", tick.Add(2*time.Second), time.Minute); got.Busy.Holder != "" {
		t.Fatalf("claim after the lease expired = %+v; want the lease", got)
	}
	lost, err := a.RenewRuns(ctx, []contract.RunLease{mine, {Service: "none", Holder: "a", Tick: tick}}, time.Minute)
	if err != nil || len(lost) != 2 || !sameLease(lost[0], mine) {
		t.Fatalf("renewal of lost leases: lost %v, %v; want both", lost, err)
	}
}
