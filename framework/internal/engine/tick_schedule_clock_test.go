//go:build hadeclock

package engine

import (
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/internal/clock"
)

// Test builds only (go test -tags hadeclock): a clock offset moves the fire times, not the ticks.
func TestTickScheduleFollowsTheClockOffset(t *testing.T) {
	saved := clock.Offset
	t.Cleanup(func() { clock.Offset = saved })
	t0 := utc("2026-11-28T10:00:00Z")
	for _, offset := range []time.Duration{700 * time.Millisecond, -400 * time.Millisecond} {
		clock.Offset = offset
		var gaps []missedGap
		ticks := everySecondTicks(t, &gaps)
		// the host reads 10:00:00.5, the node's clock 10:00:00.5+offset
		fire := ticks.Next(t0.Add(500 * time.Millisecond))
		tick, _ := ticks.take()
		want := t0.Add(500 * time.Millisecond).Add(offset).Truncate(time.Second).Add(time.Second)
		if !tick.Equal(want) || !fire.Equal(want.Add(-offset)) {
			t.Fatalf("offset %s: tick %s fired at %s, want tick %s fired at %s", offset, tick, fire, want, want.Add(-offset))
		}
	}
}
