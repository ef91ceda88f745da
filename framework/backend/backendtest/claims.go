package backendtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testClaims runs the conformance suite of contract.Claims against the stores open makes: the fence rule
// (each tick won at most once, in increasing order, within its window by the backend's clock), the
// definition rule, idempotent re-claims, Claimed.Previous, concurrent claimers and invalid input. It takes
// about 4 s, most of it sleeping.
func testClaims(t *testing.T, open Open) {
	t.Run("Fence", func(t *testing.T) { testClaimFence(t, open) })
	t.Run("Window", func(t *testing.T) { testClaimWindow(t, open) })
	t.Run("LateProcessNeverRunsTwice", func(t *testing.T) { testClaimLateProcess(t, open) })
	t.Run("Definitions", func(t *testing.T) { testClaimDefinitions(t, open) })
	t.Run("Previous", func(t *testing.T) { testClaimPrevious(t, open) })
	t.Run("ConcurrentClaimers", func(t *testing.T) { testClaimConcurrent(t, open) })
	t.Run("BadInput", func(t *testing.T) { testClaimBadInput(t, open) })
	t.Run("Closed", func(t *testing.T) { testClaimClosed(t, open) })
}

// claim claims tick for app on service with hold as the window, under one fixed definition live for two
// windows, and returns the holder.
func claim(backend contract.Claims, service, app string, tick time.Time, hold time.Duration) (string, error) {
	claimed, err := backend.ClaimTick(context.Background(), contract.Claim{
		Service: service, AppID: app, Tick: tick, HoldTime: hold, Definition: "test", LiveUntil: tick.Add(2 * hold),
	})
	return claimed.Holder, err
}

func testClaimFence(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	tick := time.Now().Truncate(time.Second)
	hold := 5 * time.Second
	if got, err := claim(a, "svc", "a", tick, hold); err != nil || got != "a" {
		t.Fatalf("first claim = %q, %v; want a", got, err)
	}
	if got, err := claim(b, "svc", "b", tick, hold); err != nil || got != "a" {
		t.Fatalf("same tick by b = %q, %v; want a, no error", got, err)
	}
	if got, err := claim(a, "svc", "a", tick, hold); err != nil || got != "a" {
		t.Fatalf("same tick again by a = %q, %v; want a", got, err)
	}
	if _, err := claim(b, "svc", "b", tick.Add(-time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("older tick: err = %v, want ErrTickClosed", err)
	}
	if got, err := claim(b, "svc", "b", tick.Add(time.Second), hold); err != nil || got != "b" {
		t.Fatalf("next tick by b = %q, %v; want b", got, err)
	}
	if got, err := claim(a, "other", "c", tick, hold); err != nil || got != "c" {
		t.Fatalf("other service = %q, %v; want c: services are independent", got, err)
	}
}

// testClaimWindow: a claim wins only while the backend's clock is within HoldTime of the tick, on either
// side; a refused claim does not move the fence.
func testClaimWindow(t *testing.T, open Open) {
	backend := connect(t, open, defaultRetention)()
	now := time.Now()
	const hold = 2 * time.Second
	for i, c := range []struct {
		name   string
		tick   time.Time
		closed bool
	}{
		{"a minute old", now.Add(-time.Minute), true},
		{"a minute ahead", now.Add(time.Minute), true},
		{"hold+1s old", now.Add(-hold - time.Second), true},
		{"hold+1s ahead", now.Add(hold + time.Second), true},
		{"1s ahead (early in its window)", now.Add(time.Second), false},
		{"1s old (late in its window)", now.Add(-time.Second), false},
	} {
		got, err := claim(backend, fmt.Sprintf("window-%d", i), "a", c.tick, hold)
		switch {
		case c.closed && (!errors.Is(err, contract.ErrTickClosed) || got != ""):
			t.Errorf("tick %s with a %s hold = %q, %v; want ErrTickClosed", c.name, hold, got, err)
		case !c.closed && (err != nil || got != "a"):
			t.Errorf("tick %s with a %s hold = %q, %v; want a", c.name, hold, got, err)
		}
	}
	if _, err := claim(backend, "refused", "a", now.Add(time.Minute), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("a tick a minute ahead: %v, want ErrTickClosed", err)
	}
	if got, err := claim(backend, "refused", "a", now, hold); err != nil || got != "a" {
		t.Fatalf("the current tick after a refused later one = %q, %v; want a: a refused claim moves no fence", got, err)
	}
}

// testClaimLateProcess: a process firing a tick 0, 100ms, 1s or 2s after another process claimed it never
// runs it again; and once a later tick is claimed, an old tick is closed for everybody.
func testClaimLateProcess(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	fast, late := newClient(), newClient()
	const interval = time.Second
	hold := 3 * interval
	for i, lateness := range []time.Duration{0, 100 * time.Millisecond, time.Second, 2 * interval} {
		service := fmt.Sprintf("late-%d", i)
		tick := time.Now().Add(-lateness) // the late process fires it lateness after the tick
		if _, err := claim(fast, service, "fast", tick, hold); err != nil {
			t.Fatal(err)
		}
		got, err := claim(late, service, "late", tick, hold)
		if got == "late" || (err != nil && !errors.Is(err, contract.ErrTickClosed)) {
			t.Fatalf("%s late: got %q, %v; the tick is fast's", lateness, got, err)
		}
		// the fast process has moved on to the next tick before the late one fires the old tick
		if _, err := claim(fast, service, "fast", tick.Add(interval), hold); err != nil {
			t.Fatal(err)
		}
		if got, err := claim(late, service, "late", tick, hold); !errors.Is(err, contract.ErrTickClosed) || got != "" {
			t.Fatalf("%s late after the fence moved: %q, %v; want ErrTickClosed", lateness, got, err)
		}
	}
}
