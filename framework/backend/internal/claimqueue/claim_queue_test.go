package claimqueue

import (
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// Re-sends stop at the end of the hold window, or one call bound before the entry's next tick when that is
// earlier, so an entry never overlaps itself because its claim is still being re-sent.
func TestResendDeadline(t *testing.T) {
	tick := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	bound := 1500 * time.Millisecond
	cases := []struct {
		name      string
		hold      time.Duration
		nextTick  time.Time // zero: LiveUntil names no next tick
		wantAfter time.Duration
	}{
		{"every second, hold 2s: no time for a re-send", 2 * time.Second, tick.Add(time.Second), -500 * time.Millisecond},
		{"every 10 s, hold 2s: the hold window", 2 * time.Second, tick.Add(10 * time.Second), 2 * time.Second},
		{"every 10 s, hold 1h: before the next tick", time.Hour, tick.Add(10 * time.Second), 8500 * time.Millisecond},
		{"no next tick named", 2 * time.Second, time.Time{}, 2 * time.Second},
	}
	for _, c := range cases {
		claim := contract.Claim{Tick: tick, HoldTime: c.hold, LiveUntil: tick.Add(c.hold)}
		if !c.nextTick.IsZero() {
			claim.LiveUntil = c.nextTick.Add(c.hold)
		}
		if got := resendDeadline(claim, bound); !got.Equal(tick.Add(c.wantAfter)) {
			t.Errorf("%s: re-sends until tick%+v, want tick%+v", c.name, got.Sub(tick), c.wantAfter)
		}
	}
}
