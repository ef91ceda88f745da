package schedule

import (
	"testing"
	"time"
)

func TestBetweenExcludesItsBounds(t *testing.T) {
	every10s, err := Parse("*/10 * * * * *", utcZone, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	t0 := utc("2026-11-28T10:00:00Z")
	first, last, count := every10s.Between(t0, t0.Add(time.Minute))
	if count != 5 || !first.Equal(t0.Add(10*time.Second)) || !last.Equal(t0.Add(50*time.Second)) {
		t.Fatalf("Between = %s, %s, %d; want 10:00:10, 10:00:50, 5", first, last, count)
	}
	if first, last, count := every10s.Between(t0, t0.Add(10*time.Second)); count != 0 || !first.IsZero() || !last.IsZero() {
		t.Fatalf("Between adjacent ticks = %s, %s, %d; want none", first, last, count)
	}
}

func TestBetweenCountsAtMostMaxCount(t *testing.T) {
	everySecond, err := Parse("@every 1s", utcZone, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	t0 := utc("2026-11-28T10:00:00Z")
	first, last, count := everySecond.Between(t0, t0.Add(48*time.Hour))
	if count != MaxCount || !first.Equal(t0.Add(time.Second)) || !last.Equal(t0.Add(MaxCount*time.Second)) {
		t.Fatalf("Between over 2 days of seconds = %s, %s, %d; want the first %d", first, last, count, MaxCount)
	}
}
