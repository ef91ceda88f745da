package backend_test

import (
	"context"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// leaseClaim claims tick of service for app asking for the run lease (ttl), and returns the answer.
func leaseClaim(t *testing.T, backend contract.Backend, service, app string, tick time.Time, ttl time.Duration) contract.Claimed {
	t.Helper()
	claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: service, AppID: app, Tick: tick,
		HoldTime: 10 * time.Second, Definition: "test", LiveUntil: tick.Add(11 * time.Second), RunLease: ttl})
	if err != nil {
		t.Fatalf("claim of %s by %s: %v", tick.Format(time.RFC3339Nano), app, err)
	}
	return claimed
}

func sameLease(got, want contract.RunLease) bool {
	return got.Holder == want.Holder && got.Tick.Equal(want.Tick)
}

// A claim asking for the run lease wins its tick either way; it takes the lease when no other run holds
// it, and otherwise names the holder (Busy); a re-sent claim answers the same; a release frees the lease.
func TestRunLeaseClaims(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			a, b := s.open(t), s.open(t)
			tick := time.Now().Add(-5 * time.Second).Truncate(time.Millisecond)
			first := contract.RunLease{Service: "svc", Holder: "a", Tick: tick}
			if got := leaseClaim(t, a, "svc", "a", tick, time.Minute); got.Holder != "a" || got.Busy.Holder != "" {
				t.Fatalf("first claim = %+v; want won, lease taken", got)
			}
			for _, again := range []contract.Backend{b, a} { // b: the next tick; a: its own again
				got := leaseClaim(t, again, "svc", "b", tick.Add(time.Second), time.Minute)
				if got.Holder != "b" || !sameLease(got.Busy, first) {
					t.Fatalf("next tick (or re-sent) = %+v; want won by b, busy with a's run", got)
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
				HoldTime: 10 * time.Second, Definition: "test", LiveUntil: tick.Add(15 * time.Second)})
			if err != nil || plain.Holder != "a" || plain.Busy.Holder != "" {
				t.Fatalf("claim without a lease = %+v, %v; want won, no lease asked, none named", plain, err)
			}
		})
	}
}

// A lease not renewed ends ttl after it was taken; renewing keeps it; a renewal of a lost lease says so.
func TestRunLeaseExpiresUnlessRenewed(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			a, b := s.open(t), s.open(t)
			ctx := context.Background()
			tick := time.Now().Add(-5 * time.Second).Truncate(time.Millisecond)
			mine := contract.RunLease{Service: "svc", Holder: "a", Tick: tick}
			leaseClaim(t, a, "svc", "a", tick, 1500*time.Millisecond)
			time.Sleep(time.Second)
			if lost, err := a.RenewRuns(ctx, []contract.RunLease{mine}, 1500*time.Millisecond); err != nil || len(lost) != 0 {
				t.Fatalf("renewal of a held lease: lost %v, %v; want none", lost, err)
			}
			time.Sleep(time.Second) // past the first ttl, within the renewed one
			if got := leaseClaim(t, b, "svc", "b", tick.Add(time.Second), time.Minute); !sameLease(got.Busy, mine) {
				t.Fatalf("claim within the renewed lease = %+v; want busy with a's run", got)
			}
			time.Sleep(time.Second) // the renewed lease has expired
			if got := leaseClaim(t, b, "svc", "b", tick.Add(2*time.Second), time.Minute); got.Busy.Holder != "" {
				t.Fatalf("claim after the lease expired = %+v; want the lease", got)
			}
			lost, err := a.RenewRuns(ctx, []contract.RunLease{mine, {Service: "none", Holder: "a", Tick: tick}}, time.Minute)
			if err != nil || len(lost) != 2 || !sameLease(lost[0], mine) {
				t.Fatalf("renewal of lost leases: lost %v, %v; want both", lost, err)
			}
		})
	}
}

// AcquireRun takes a free lease, names the holder of a held one, and refuses bad input.
func TestRunLeaseAcquire(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			a, b := s.open(t), s.open(t)
			ctx := context.Background()
			now := time.Now().Truncate(time.Millisecond)
			mine := contract.RunLease{Service: "svc", Holder: "a", Tick: now}
			for i := 0; i < 2; i++ { // the second time: already held by it
				if got, err := a.AcquireRun(ctx, mine, time.Minute); err != nil || !sameLease(got, mine) {
					t.Fatalf("acquire #%d = %+v, %v; want taken", i+1, got, err)
				}
			}
			if got, err := b.AcquireRun(ctx, contract.RunLease{Service: "svc", Holder: "b", Tick: now}, time.Minute); err != nil || !sameLease(got, mine) {
				t.Fatalf("acquire of a held lease = %+v, %v; want the holder", got, err)
			}
			if got := leaseClaim(t, b, "svc", "b", now, time.Minute); !sameLease(got.Busy, mine) {
				t.Fatalf("claim while acquired = %+v; want busy with a's run", got)
			}
			for _, bad := range []contract.RunLease{{Service: "bad name!", Holder: "a", Tick: now}, {Service: "svc", Tick: now}, {Service: "svc", Holder: "a"}} {
				if _, err := a.AcquireRun(ctx, bad, time.Minute); err == nil {
					t.Errorf("acquire %+v: no error", bad)
				}
			}
			if _, err := a.AcquireRun(ctx, mine, 0); err == nil {
				t.Error("acquire with ttl 0: no error")
			}
		})
	}
}
