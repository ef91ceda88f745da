// Package schedule computes the fire times of cron specs: it parses a spec ("0 3 * * *", "@daily",
// "@every 90s", optionally "CRON_TZ=Europe/Berlin ..."), evaluates it in its zone with cronie's daylight
// saving rules, and aligns "@every" to the Unix epoch so every process computes the same ticks. It
// depends on no backend and no scheduler: a Schedule's methods are pure functions of the times given, and
// only HostZone reads the host ($TZ, /etc/localtime, /etc/timezone).
package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a parsed spec: its fire times and the zone they are computed in. Make one with Parse; the
// zero Schedule never fires.
type Schedule struct {
	spec      string        // as given to Parse
	zone      string        // the zone the spec is evaluated in: its CRON_TZ= or TZ=, else the default
	namesZone bool          // the spec names its zone
	next      cron.Schedule // fire times as instants; zone and daylight saving time applied
	start     time.Time     // Within's: no tick before it; zero: open
	end       time.Time     // Within's: no tick at or after it; zero: open
}

// Next returns the first fire time strictly after t, or the zero time if the schedule never fires again.
// A fixed wall-clock time is returned in t's location; "@every" ticks are too.
func (s Schedule) Next(t time.Time) time.Time {
	if s.next == nil {
		return time.Time{}
	}
	return s.windowed(t)
}

// Zone returns the name of the zone the spec is evaluated in, e.g. "UTC" (for every alias of UTC),
// "Europe/Berlin", or "Local(CET+01:00,CEST+02:00)" for a host zone without a name.
func (s Schedule) Zone() string { return s.zone }

// NamesZone reports whether the spec names its own zone (CRON_TZ= or TZ=), which the default zone does
// not change.
func (s Schedule) NamesZone() bool { return s.namesZone }

// Definition names what makes the ticks: the spec as given to Parse, its zone and the window Within set,
// e.g. `spec "0 * * * *" zone UTC` or `spec "0 * * * *" zone UTC until 2027-01-01T00:00:00Z`.
func (s Schedule) Definition() string {
	return fmt.Sprintf("spec %q zone %s", s.spec, s.zone) + s.windowDefinition()
}
