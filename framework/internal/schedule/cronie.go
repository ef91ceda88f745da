package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// maxRepeatedSkips bounds the skipping of repeated wall-clock times in one Next call; a fall-back
// transition repeats at most a few hours of wall-clock times.
const maxRepeatedSkips = 10_000

// cronieSchedule applies cronie's daylight saving rules to a robfig/cron spec whose hours are fixed (the
// hour field does not start with "*"): a wall-clock time that occurs twice (fall back) fires once, at
// its first occurrence; one that does not exist that day (spring forward) fires once, at the transition.
// robfig/cron alone fires the first twice and skips the second. Specs with wildcard or step hours run by
// the instant: they are left to robfig/cron, which fires in both repeated hours and none in the gap.
type cronieSchedule struct {
	spec *cron.SpecSchedule
}

// newCronieSchedule returns spec with cronie's rules when fixedHours, or spec itself.
func newCronieSchedule(spec *cron.SpecSchedule, fixedHours bool) cron.Schedule {
	if !fixedHours {
		return spec
	}
	return cronieSchedule{spec: spec}
}

// Next returns the first fire time after t, or the zero time if there is none.
func (s cronieSchedule) Next(t time.Time) time.Time {
	from := t
	for range maxRepeatedSkips {
		next := s.spec.Next(from)
		if next.IsZero() {
			return next
		}
		if transition, ok := s.skippedFireTime(from, next); ok {
			return transition.In(t.Location())
		}
		if !s.repeated(next) {
			return next
		}
		from = next
	}
	return time.Time{}
}

// skippedFireTime returns the first spring-forward transition in (after, until] whose skipped wall-clock
// times the spec matches.
func (s cronieSchedule) skippedFireTime(after, until time.Time) (time.Time, bool) {
	for x := after; ; {
		_, end := x.In(s.spec.Location).ZoneBounds()
		if end.IsZero() || end.After(until) {
			return time.Time{}, false
		}
		if !end.After(x) { // Go cuts zones computed from a TZ rule at year ends, with no progress there
			x = x.Add(time.Second)
			continue
		}
		if s.matchesSkipped(end) {
			return end, true
		}
		x = end
	}
}

// matchesSkipped reports whether transition moves the clock forward over a wall-clock time the spec
// matches.
func (s cronieSchedule) matchesSkipped(transition time.Time) bool {
	_, before := transition.Add(-time.Nanosecond).In(s.spec.Location).Zone()
	_, after := transition.In(s.spec.Location).Zone()
	// the skipped wall-clock times, written as UTC times with the same fields
	wall := transition.Add(time.Duration(before) * time.Second).UTC()
	for second := 0; second < after-before; second++ {
		if s.matches(wall.Add(time.Duration(second) * time.Second)) {
			return true
		}
	}
	return false
}

// repeated reports whether t's wall-clock time already occurred before the fall-back transition that
// precedes t.
func (s cronieSchedule) repeated(t time.Time) bool {
	start, _ := t.In(s.spec.Location).ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, before := start.Add(-time.Nanosecond).In(s.spec.Location).Zone()
	_, after := start.In(s.spec.Location).Zone()
	return before > after && t.Sub(start) < time.Duration(before-after)*time.Second
}

// matches reports whether the wall-clock fields of wall (read in UTC) match the spec, with robfig/cron's
// day rule: day of month and day of week are ANDed when either is "*", ORed otherwise.
func (s cronieSchedule) matches(wall time.Time) bool {
	has := func(bits uint64, value int) bool { return bits&(1<<uint(value)) != 0 }
	spec := s.spec
	if !has(spec.Second, wall.Second()) || !has(spec.Minute, wall.Minute()) || !has(spec.Hour, wall.Hour()) ||
		!has(spec.Month, int(wall.Month())) {
		return false
	}
	dom, dow := has(spec.Dom, wall.Day()), has(spec.Dow, int(wall.Weekday()))
	const star = 1 << 63
	if spec.Dom&star != 0 || spec.Dow&star != 0 {
		return dom && dow
	}
	return dom || dow
}
