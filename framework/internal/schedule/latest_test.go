package schedule

import (
	"testing"
	"time"
)

func TestLatest(t *testing.T) {
	every10s, err := Parse("*/10 * * * * *", utcZone, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	tick := utc("2026-11-28T10:00:00Z")
	cases := []struct {
		now    time.Time
		within time.Duration
		want   time.Time
	}{
		{tick.Add(3 * time.Second), 15 * time.Second, tick},
		{tick.Add(3 * time.Second), 3 * time.Second, tick},
		{tick.Add(3 * time.Second), 2 * time.Second, time.Time{}},
		{tick, 0, tick},
		{tick.Add(25 * time.Second), time.Minute, tick.Add(20 * time.Second)},
	}
	for _, c := range cases {
		if got := every10s.Latest(c.now, c.within); !got.Equal(c.want) {
			t.Errorf("Latest(%s, %s) = %s, want %s", c.now, c.within, got, c.want)
		}
	}
}
