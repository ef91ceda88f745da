package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testClaimPrevious: the call that moves the fence learns the tick it held before, when that was won with
// the same definition; every other answer has no previous tick.
func testClaimPrevious(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	now := time.Now().Truncate(time.Millisecond)
	hold := 10 * time.Second
	claimAt := func(backend contract.Claims, app, definition string, tick, liveUntil time.Time) contract.Claimed {
		t.Helper()
		claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: "gap", AppID: app, Tick: tick,
			HoldTime: hold, Definition: definition, LiveUntil: liveUntil})
		if err != nil {
			t.Fatalf("claim of %s by %s: %v", tick, app, err)
		}
		return claimed
	}
	t1, t3, t4, t5 := now.Add(-3*time.Second), now.Add(-time.Second), now, now.Add(time.Second)
	steps := []struct {
		name     string
		got      contract.Claimed
		holder   string
		previous time.Time
	}{
		{"first claim of the service", claimAt(a, "a", "def", t1, t1.Add(hold)), "a", time.Time{}},
		{"the same tick, another app", claimAt(b, "b", "def", t1, t1.Add(hold)), "a", time.Time{}},
		{"a later tick won", claimAt(b, "b", "def", t3, t3), "b", t1},
		{"the winner again (a re-send)", claimAt(b, "b", "def", t3, t3), "b", time.Time{}},
		{"another definition after live-until", claimAt(a, "a", "other", t4, t4.Add(hold)), "a", time.Time{}},
		{"the next tick of that definition", claimAt(b, "b", "other", t5, t5.Add(hold)), "b", t4},
	}
	for _, step := range steps {
		if step.got.Holder != step.holder || !step.got.Previous.Equal(step.previous) {
			t.Errorf("%s: %+v, want holder %s and previous %v", step.name, step.got, step.holder, step.previous)
		}
	}
}
