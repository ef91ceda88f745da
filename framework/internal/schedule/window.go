package schedule

import (
	"fmt"
	"time"
)

// Within returns a copy of s whose ticks are those of s in [start, end): none before start, none at or
// after end. A zero start or end leaves that side open. Definition names the bounds that are set, so
// processes whose windows differ have different definitions.
func (s Schedule) Within(start, end time.Time) Schedule {
	s.start, s.end = start, end
	return s
}

// Matches reports whether t is a tick of s's spec (its window not considered), in s's zone with its
// daylight saving rules.
func (s Schedule) Matches(t time.Time) bool {
	return s.next != nil && s.next.Next(t.Add(-time.Nanosecond)).Equal(t)
}

// windowed returns the first tick of the spec strictly after t within [s.start, s.end), or zero.
func (s Schedule) windowed(t time.Time) time.Time {
	if !s.start.IsZero() && t.Before(s.start) {
		t = s.start.Add(-time.Nanosecond).In(t.Location())
	}
	next := s.next.Next(t)
	if !s.end.IsZero() && !next.IsZero() && !next.Before(s.end) {
		return time.Time{}
	}
	return next
}

// windowDefinition is the part of Definition that names the window: "" when open.
func (s Schedule) windowDefinition() string {
	text := ""
	if !s.start.IsZero() {
		text += fmt.Sprintf(" from %s", s.start.UTC().Format(time.RFC3339Nano))
	}
	if !s.end.IsZero() {
		text += fmt.Sprintf(" until %s", s.end.UTC().Format(time.RFC3339Nano))
	}
	return text
}
