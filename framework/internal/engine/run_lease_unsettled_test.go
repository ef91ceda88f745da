package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

// repliesNeverCome is a backend whose claims are applied but whose every claim call fails, as in an etcd
// election that outlasts the tick: the process never learns it won.
type repliesNeverCome struct {
	contract.Backend
}

func (b repliesNeverCome) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	if _, err := b.Backend.ClaimTick(ctx, c); err != nil {
		return contract.Claimed{}, err
	}
	return contract.Claimed{}, errReplyLost
}

// A claim applied whose answer never came (its re-sends failed until the next tick) leaves no run lease
// behind: the process that made it does not run the tick and releases the lease its claim took, so the
// next tick runs on another process instead of being skipped as busy with a run that never started.
func TestUnsettledClaimReleasesItsRunLease(t *testing.T) {
	store := memory.NewStore(nil)
	tick := time.Now().Truncate(time.Second) // within the hold window; settling ends before its next tick
	var runs atomic.Int32
	logs := &logBuffer{}
	schedulers := map[string]*Scheduler{}
	for app, b := range map[string]contract.Backend{
		"app-lost": repliesNeverCome{store.Open(backend.Retention{})},
		"app-next": store.Open(backend.Retention{}),
	} {
		s := New()
		s.AddDistributedCronCommand("svc", "* * * * * *", runnable("job", func(*cobra.Command, []string) error {
			runs.Add(1)
			return nil
		}), 5*time.Second)
		env := testEnvironment(logs, app)
		env.Backend = b
		startWithoutTimer(t, s, env)
		schedulers[app] = s
	}
	fire(schedulers["app-lost"], 0, tick)
	fire(schedulers["app-next"], 0, tick.Add(time.Second))
	if runs.Load() != 1 {
		t.Fatalf("%d runs, want 1: the next tick on app-next; lines %v", runs.Load(), logs.lines(t))
	}
	for _, line := range logs.lines(t) {
		if line["app_id"] == "app-next" && line["outcome"] != "ok" {
			t.Fatalf("the next tick: %v; want run, the unsettled claim's lease released", line)
		}
	}
}

// One caller at a time releases an entry's unsettled leases, in order, dropping those claimed leaseTTL
// ago; once none is left the next caller may start again.
func TestUnsettledLeasesOneReleaserInOrder(t *testing.T) {
	var u unsettledLeases
	now := time.Now()
	old := contract.RunLease{Service: "svc", Holder: "a", Tick: now.Add(-leaseTTL)}
	recent := contract.RunLease{Service: "svc", Holder: "a", Tick: now.Add(-time.Second)}
	if u.start() {
		t.Fatal("start with nothing pending = true, want false")
	}
	u.add(old, now.Add(-leaseTTL))
	u.add(recent, now.Add(-time.Second))
	if !u.start() || u.start() {
		t.Fatal("start twice = not true then false: want one releaser")
	}
	if got, ok := u.next(now); !ok || got.lease != recent {
		t.Fatalf("next = %+v, %v; want the recent lease, the old one dropped", got, ok)
	}
	if _, ok := u.next(now); ok {
		t.Fatal("next after the last = ok, want none left")
	}
	u.add(recent, now)
	if !u.start() {
		t.Fatal("start after the releaser stopped, with a lease pending = false, want true")
	}
}
