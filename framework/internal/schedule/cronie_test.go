package schedule

import (
	"testing"
	"time"
)

// fireTimes returns the fire times of spec (evaluated in zoneName) in [from, until).
func fireTimes(t *testing.T, spec, zoneName string, from, until time.Time) []time.Time {
	t.Helper()
	z, err := LoadZone(zoneName)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(spec, z, EveryFromEpoch)
	if err != nil {
		t.Fatal(err)
	}
	var times []time.Time
	for at := parsed.Next(from.Add(-time.Nanosecond)); at.Before(until); at = parsed.Next(at) {
		times = append(times, at.UTC())
		if len(times) > 1000 {
			t.Fatalf("%q fires more than 1000 times in [%s, %s)", spec, from, until)
		}
	}
	return times
}

func utc(text string) time.Time {
	at, err := time.Parse(time.RFC3339, text)
	if err != nil {
		panic(err)
	}
	return at
}

func sameTimes(t *testing.T, what string, got []time.Time, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: fires at %v, want %v", what, got, want)
	}
	for i := range got {
		if !got[i].Equal(utc(want[i])) {
			t.Fatalf("%s: fires at %v, want %v", what, got, want)
		}
	}
}

// America/New_York falls back on 2026-11-01 at 06:00Z (02:00 EDT becomes 01:00 EST) and springs forward
// on 2027-03-14 at 07:00Z (02:00 EST becomes 03:00 EDT), by the zone data Go ships or the system has.
func TestDaylightSavingAsCronie(t *testing.T) {
	const ny = "America/New_York"
	fallDay, fallEnd := utc("2026-11-01T04:00:00Z"), utc("2026-11-02T04:00:00Z")
	springDay, springEnd := utc("2027-03-14T05:00:00Z"), utc("2027-03-15T04:00:00Z")

	sameTimes(t, "fixed 01:30 on fall-back day (occurs twice): first occurrence only",
		fireTimes(t, "0 30 1 * * *", ny, fallDay, fallEnd), "2026-11-01T05:30:00Z")
	sameTimes(t, "fixed hour 1, every 30 min, on fall-back day: first occurrences only",
		fireTimes(t, "0 0,30 1 * * *", ny, fallDay, fallEnd), "2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z")
	sameTimes(t, "wildcard hours on fall-back day run by the instant (both 1 AM hours)",
		fireTimes(t, "0 30 * * * *", ny, utc("2026-11-01T04:00:00Z"), utc("2026-11-01T08:00:00Z")),
		"2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z")
	sameTimes(t, "fixed 02:30 on spring-forward day (does not exist): once, at the transition",
		fireTimes(t, "0 30 2 * * *", ny, springDay, springEnd), "2027-03-14T07:00:00Z")
	sameTimes(t, "fixed 02:00 and 03:00 on spring-forward day: once at the transition, not twice",
		fireTimes(t, "0 0 2,3 * * *", ny, springDay, springEnd), "2027-03-14T07:00:00Z")
	sameTimes(t, "fixed 02:30 the day after: as usual",
		fireTimes(t, "30 2 * * *", ny, springEnd, utc("2027-03-16T04:00:00Z")), "2027-03-15T06:30:00Z")
	sameTimes(t, "wildcard hours on spring-forward day run by the instant (nothing in the gap, nothing added)",
		fireTimes(t, "0 30 * * * *", ny, utc("2027-03-14T05:00:00Z"), utc("2027-03-14T09:00:00Z")),
		"2027-03-14T05:30:00Z", "2027-03-14T06:30:00Z", "2027-03-14T07:30:00Z", "2027-03-14T08:30:00Z")
	sameTimes(t, "step hours run by the instant",
		fireTimes(t, "0 30 */1 * * *", ny, utc("2027-03-14T05:00:00Z"), utc("2027-03-14T08:00:00Z")),
		"2027-03-14T05:30:00Z", "2027-03-14T06:30:00Z", "2027-03-14T07:30:00Z")
	sameTimes(t, "fixed time on a day without transition: unchanged",
		fireTimes(t, "0 30 1 * * *", ny, utc("2026-11-02T04:00:00Z"), utc("2026-11-04T04:00:00Z")),
		"2026-11-02T06:30:00Z", "2026-11-03T06:30:00Z")
	sameTimes(t, "@every is by the instant, epoch-aligned",
		fireTimes(t, "@every 1h", ny, utc("2026-11-01T05:00:00Z"), utc("2026-11-01T07:00:00Z")),
		"2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z")
	// São Paulo skipped midnight on 2018-11-04 (00:00 -03 became 01:00 -02 at 03:00Z)
	sameTimes(t, "@daily when midnight does not exist: once, at the transition",
		fireTimes(t, "@daily", "America/Sao_Paulo", utc("2018-11-03T12:00:00Z"), utc("2018-11-05T12:00:00Z")),
		"2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z")
}

func TestHasFixedHours(t *testing.T) {
	cases := map[string]bool{
		"0 30 1 * * *": true, "30 1 * * *": true, "0 30 1-3 * * *": true, "@daily": true, "@weekly": true,
		"0 30 * * * *": false, "*/5 * * * *": false, "0 0 */2 * * *": false, "@hourly": false, "@every 1h": false,
	}
	for spec, want := range cases {
		if got := hasFixedHours(spec); got != want {
			t.Errorf("hasFixedHours(%q) = %t, want %t", spec, got, want)
		}
	}
}

// Far years, whose transitions Go computes from the zone's rule, keep cronie's rules and never hang.
func TestDaylightSavingInFarYears(t *testing.T) {
	times := fireTimes(t, "0 30 2 * * *", "America/New_York", utc("2040-12-30T12:00:00Z"), utc("2041-03-11T00:00:00Z"))
	sameTimes(t, "fixed 02:30 across Go's year cut at 2041-01-01, up to the 2041 spring-forward day",
		[]time.Time{times[0], times[1], times[len(times)-1]},
		"2040-12-31T07:30:00Z", "2041-01-01T07:30:00Z", "2041-03-10T07:00:00Z")
}
