package schedule

import (
	"strings"
	"testing"
	"time"
)

// utcZone is UTC, the default zone of the specs parsed here.
var utcZone = Zone{name: "UTC", location: time.UTC}

func TestParseAccepts(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 22, 10, 0, 0, 500, time.UTC) // a Sunday
	cases := []struct {
		spec string
		want time.Time
	}{
		{"* * * * * *", from.Truncate(time.Second).Add(time.Second)},
		{"*/5 * * * * *", time.Date(2026, 11, 22, 10, 0, 5, 0, time.UTC)},
		{"30 * * * *", time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)},
		{"0 30 3-6,20-23 * * *", time.Date(2026, 11, 22, 20, 30, 0, 0, time.UTC)},
		{"CRON_TZ=Asia/Tokyo 30 04 * * *", time.Date(2026, 11, 23, 4, 30, 0, 0, tokyo)},
		{"TZ=Asia/Tokyo 30 04 * * *", time.Date(2026, 11, 23, 4, 30, 0, 0, tokyo)},
		{"@hourly", time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)},
		{"@daily", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{"@weekly", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)},
		{"@monthly", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"@yearly", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		parsed, err := Parse(c.spec, utcZone, EveryFromNow)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.spec, err)
			continue
		}
		if got := parsed.Next(from.In(time.UTC)); !got.Equal(c.want) {
			t.Errorf("Parse(%q).Next(%s) = %s, want %s", c.spec, from, got, c.want)
		}
	}
}

func TestParseEveryFromEpochOrFromNow(t *testing.T) {
	aligned, err := Parse("@every 1h30m", utcZone, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	// two processes that start at different times agree on the ticks
	a := aligned.Next(time.Unix(1_800_000_123, 0))
	b := aligned.Next(time.Unix(1_800_001_000, 7))
	if !a.Equal(b) {
		t.Fatalf("aligned ticks differ: %s vs %s", a, b)
	}
	if a.Unix()%5400 != 0 {
		t.Fatalf("tick %s (unix %d) is not a multiple of 1h30m since the epoch", a, a.Unix())
	}
	if next := aligned.Next(a); next.Sub(a) != 90*time.Minute {
		t.Fatalf("next after %s is %s, want 1h30m later", a, next)
	}
	// a tick exactly on a multiple is not repeated
	if next := aligned.Next(time.Unix(5400, 0)); next.Unix() != 10800 {
		t.Fatalf("Next(5400s) = %d, want 10800", next.Unix())
	}

	relative, err := Parse("@every 1h30m", utcZone, EveryFromNow)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Unix(1_800_000_123, 0)
	if got := relative.Next(from); !got.Equal(from.Add(90 * time.Minute)) {
		t.Fatalf("normal @every counts from now: Next = %s, want %s", got, from.Add(90*time.Minute))
	}
}

func TestParseRejectsWithoutPanic(t *testing.T) {
	cases := map[string]string{
		"":                            "empty",
		"   ":                         "empty",
		"TZ=UTC":                      "not followed by a schedule",
		"CRON_TZ=Asia/Tokyo":          "not followed by a schedule",
		"CRON_TZ=Nowhere/X 1 * * * *": "bad location",
		"* * *":                       "expected 5 to 6 fields",
		"* * * * * * *":               "expected 5 to 6 fields",
		"61 * * * *":                  "above maximum",
		"@every 500ms":                "whole number of seconds",
		"@every 1500ms":               "whole number of seconds",
		"@every -1s":                  "whole number of seconds",
		"@every soon":                 "@every",
		"@sometimes":                  "unrecognized descriptor",
		"0 0 30 2 *":                  "never fires",
		"TZ=":                         "not followed by a schedule",
	}
	for spec, want := range cases {
		_, err := Parse(spec, utcZone, EveryFromEpoch)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "valid specs") {
			t.Errorf("Parse(%q) error = %v, want it to say %q and list the valid specs", spec, err, want)
		}
	}
}

func FuzzParseNeverPanics(f *testing.F) {
	for _, seed := range []string{"* * * * * *", "TZ=", "CRON_TZ=UTC @every 1s", "@every 1h", "0 0 30 2 *", "1-5/2 * * * *"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		schedule, err := Parse(spec, utcZone, EveryFromEpoch)
		if err == nil && schedule.Next(time.Now()).IsZero() {
			t.Fatalf("Parse(%q) accepted a spec that never fires", spec)
		}
	})
}
