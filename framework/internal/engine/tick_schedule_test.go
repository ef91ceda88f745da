package engine

import (
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/internal/schedule"
)

type missedGap struct {
	first, last time.Time
	count       int
}

func everySecondTicks(t *testing.T, gaps *[]missedGap) *tickSchedule {
	t.Helper()
	utcZone, err := schedule.LoadZone("UTC")
	if err != nil {
		t.Fatal(err)
	}
	everySecond, err := schedule.Parse("@every 1s", utcZone, schedule.EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	return &tickSchedule{
		schedule: everySecond,
		missed:   func(first, last time.Time, count int) { *gaps = append(*gaps, missedGap{first, last, count}) },
	}
}

// robfig/cron asks for the next tick after its late now; the ticks in between are reported once.
func TestTickScheduleReportsTicksSkippedByALateProcess(t *testing.T) {
	var gaps []missedGap
	ticks := everySecondTicks(t, &gaps)
	t0 := utc("2026-11-28T10:00:00Z")
	ticks.Next(t0.Add(-time.Millisecond))                  // 10:00:00
	ticks.Next(t0.Add(2 * time.Millisecond))               // on time: 10:00:01
	ticks.Next(t0.Add(1*time.Second + 3*time.Millisecond)) // on time: 10:00:02
	if len(gaps) != 0 {
		t.Fatalf("on-time ticks reported as missed: %v", gaps)
	}
	// stalled 4.2 s after 10:00:02 fired: robfig fires 10:00:03 late, then asks for the next after 10:00:06.2
	ticks.Next(t0.Add(2*time.Second + 5*time.Millisecond)) // 10:00:03
	if got := ticks.Next(t0.Add(6*time.Second + 200*time.Millisecond)); !got.Equal(t0.Add(7 * time.Second)) {
		t.Fatalf("next after the stall = %s, want 10:00:07", got)
	}
	if len(gaps) != 1 || gaps[0].count != 3 || !gaps[0].first.Equal(t0.Add(4*time.Second)) || !gaps[0].last.Equal(t0.Add(6*time.Second)) {
		t.Fatalf("missed gaps %v, want one of 3 ticks 10:00:04..10:00:06", gaps)
	}
}

func TestTickScheduleNeverRepeatsATickWhenTheClockGoesBack(t *testing.T) {
	var gaps []missedGap
	ticks := everySecondTicks(t, &gaps)
	t0 := utc("2026-11-28T10:00:00Z")
	ticks.Next(t0.Add(-time.Millisecond)) // 10:00:00
	ticks.Next(t0)                        // 10:00:01
	// the clock jumps back one hour
	if got := ticks.Next(t0.Add(-time.Hour)); !got.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("next after the clock went back = %s, want 10:00:02", got)
	}
	var taken []time.Time
	for {
		tick, ok := ticks.take()
		if !ok {
			break
		}
		taken = append(taken, tick)
	}
	for i := 1; i < len(taken); i++ {
		if !taken[i].After(taken[i-1]) {
			t.Fatalf("ticks %v do not increase", taken)
		}
	}
	if len(gaps) != 0 {
		t.Fatalf("missed gaps %v after a jump back", gaps)
	}
}
