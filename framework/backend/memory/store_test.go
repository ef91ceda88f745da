package memory_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

// fakeClock is a clock a test sets; safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// NewStore's clock is the backend's clock: hold windows, leases and retention follow it, not time.Now.
func TestStoreClock(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	backend := memory.NewStore(clock.Now).Open(backend.Retention{MaxAge: time.Hour})
	claim := contract.Claim{Service: "svc", AppID: "a", Tick: start, HoldTime: time.Second, RunLease: time.Minute}
	if got, err := backend.ClaimTick(ctx, claim); err != nil || got.Holder != "a" {
		t.Fatalf("claim at the fake time = %+v, %v; want a", got, err)
	}
	claim.Tick, claim.AppID = start.Add(time.Minute), "b"
	clock.Set(claim.Tick.Add(2 * time.Second))
	if _, err := backend.ClaimTick(ctx, claim); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("claim 2s after its tick with a 1s hold: %v; want ErrTickClosed", err)
	}
	clock.Set(claim.Tick)
	if got, err := backend.ClaimTick(ctx, claim); err != nil || got.Busy.Holder != "a" {
		t.Fatalf("claim within a's lease (by the fake clock) = %+v, %v; want busy with a's run", got, err)
	}
	if err := backend.AppendRuns(ctx, []contract.RunRecord{{Job: "j", Tick: start}}); err != nil {
		t.Fatal(err)
	}
	clock.Set(start.Add(2 * time.Hour))
	if runs, err := backend.Runs(ctx, contract.RunQuery{}); err != nil || len(runs) != 0 {
		t.Fatalf("runs two hours later with a 1h retention = %v, %v; want none", runs, err)
	}
}

// A re-sent claim of a won tick whose first answer was Busy is still busy after that run released the
// lease, then with rules.UnknownHolder (the shared lease rule keeps no memory of the first answer); a
// re-send of a claim that took the lease, now released, is busy with an ended run too.
func TestReSentClaimAfterTheRelease(t *testing.T) {
	ctx := context.Background()
	store := memory.NewStore(nil)
	a, b := store.Open(backend.Retention{}), store.Open(backend.Retention{})
	tick := time.Now()
	claim := contract.Claim{Service: "svc", AppID: "a", Tick: tick, HoldTime: time.Minute, RunLease: time.Minute}
	if _, err := a.ClaimTick(ctx, claim); err != nil {
		t.Fatal(err)
	}
	next := claim
	next.AppID, next.Tick = "b", tick.Add(time.Second)
	first, err := b.ClaimTick(ctx, next)
	if err != nil || first.Busy.Holder != "a" {
		t.Fatalf("claim while a runs = %+v, %v; want busy with a", first, err)
	}
	if err := a.ReleaseRun(ctx, contract.RunLease{Service: "svc", Holder: "a", Tick: tick}); err != nil {
		t.Fatal(err)
	}
	ended := contract.RunLease{Service: "svc", Holder: rules.UnknownHolder}
	if again, err := b.ClaimTick(ctx, next); err != nil || again.Holder != "b" || again.Busy != ended {
		t.Fatalf("re-sent claim after the release = %+v, %v; want busy with %+v", again, err, ended)
	}
	other := claim
	other.Service = "other"
	if took, err := a.ClaimTick(ctx, other); err != nil || took.Busy.Holder != "" {
		t.Fatalf("claim of another service = %+v, %v; want the lease", took, err)
	}
	if err := a.ReleaseRun(ctx, contract.RunLease{Service: "other", Holder: "a", Tick: tick}); err != nil {
		t.Fatal(err)
	}
	if again, err := a.ClaimTick(ctx, other); err != nil || again.Holder != "a" || again.Busy.Holder == "" {
		t.Fatalf("re-sent claim of a's tick after its release = %+v, %v; want busy (the run has ended)", again, err)
	}
}

func TestDescribeAndClose(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	if got := backend.Describe(context.Background()); !strings.HasPrefix(got, "memory: ") || !strings.Contains(got, "answering") {
		t.Errorf("Describe = %q; want it to say memory, answering", got)
	}
	if err := backend.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := backend.Close(); err == nil {
		t.Error("a second Close: no error")
	}
	if got := backend.Describe(context.Background()); !strings.Contains(got, "closed") {
		t.Errorf("Describe after Close = %q; want it to say closed", got)
	}
}
