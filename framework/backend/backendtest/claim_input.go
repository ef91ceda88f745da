package backendtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testClaimBadInput: an invalid claim is refused with an error naming what is wrong (the texts every
// backend shares), and a zero LiveUntil counts as Tick+HoldTime.
func testClaimBadInput(t *testing.T, open Open) {
	backend := connect(t, open, defaultRetention)()
	tick := time.Now()
	ok := contract.Claim{Service: "svc", AppID: "a", Tick: tick, HoldTime: time.Second, Definition: "d"}
	with := func(change func(*contract.Claim)) contract.Claim {
		c := ok
		change(&c)
		return c
	}
	for _, c := range []struct {
		claim contract.Claim
		want  string
	}{
		{with(func(c *contract.Claim) { c.Service = "" }), "service name is empty"},
		{with(func(c *contract.Claim) { c.Service = "a b" }), "white space"},
		{with(func(c *contract.Claim) { c.Service = "../etc" }), "looks like a path"},
		{with(func(c *contract.Claim) { c.AppID = "" }), "app id is empty"},
		{with(func(c *contract.Claim) { c.Tick = time.Time{} }), "zero time"},
		{with(func(c *contract.Claim) { c.HoldTime = 0 }), "hold time 0s must be positive"},
		{with(func(c *contract.Claim) { c.HoldTime = -time.Second }), "must be positive"},
		{with(func(c *contract.Claim) { c.LiveUntil = tick.Add(-time.Nanosecond) }), "is before the tick"},
		{with(func(c *contract.Claim) { c.Definition = strings.Repeat("d", 1025) }), "at most 1024"},
		{with(func(c *contract.Claim) { c.RunLease = -time.Second }), "must not be negative"},
	} {
		claimed, err := backend.ClaimTick(context.Background(), c.claim)
		if err == nil || !strings.Contains(err.Error(), c.want) || claimed.Holder != "" {
			t.Errorf("ClaimTick(%.80v) = %+v, %v; want an error mentioning %q", c.claim, claimed, err, c.want)
		}
	}
	if got, err := backend.ClaimTick(context.Background(), ok); err != nil || got.Holder != "a" {
		t.Errorf("ClaimTick with a zero LiveUntil = %+v, %v; want a", got, err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := backend.ClaimTick(canceled, with(func(c *contract.Claim) { c.Service = "other" })); !errors.Is(err, context.Canceled) || got.Holder != "" {
		t.Errorf("ClaimTick with a cancelled context = %+v, %v; want ctx's error", got, err)
	}
}

// testClaimClosed: a claim through a closed client fails and names no holder.
func testClaimClosed(t *testing.T, open Open) {
	backend := closedClient(t, open)
	claimed, err := claim(backend, "svc", "a", time.Now(), time.Minute)
	if err == nil || claimed != "" {
		t.Fatalf("ClaimTick after Close = %q, %v; want an error", claimed, err)
	}
}
