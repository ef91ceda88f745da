// Package scheduler runs cobra commands as cron jobs: it parses specs, derives each run's tick (the
// scheduled fire time), claims distributed ticks, runs the command in-process and logs one line per run.
// The timing loop is github.com/robfig/cron/v3.
package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// SpecHelp says what a spec may be; parse errors end with it.
const SpecHelp = `valid specs: 5 fields "min hour dom month dow" or 6 with seconds first, ` +
	`a descriptor (@yearly @annually @monthly @weekly @daily @midnight @hourly, "@every <duration>" of whole seconds >= 1s), ` +
	`optionally prefixed by "CRON_TZ=<IANA zone> " or "TZ=<IANA zone> "`

// cronParser accepts what hade documents: an optional seconds field and descriptors.
func cronParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// parsedSpec is a spec parsed for one entry.
type parsedSpec struct {
	schedule cron.Schedule // fire times as instants; zone and daylight saving time applied
	zone     string        // the zone the spec is evaluated in: its CRON_TZ= or TZ=, else the default
	ownZone  bool          // the spec names its zone
}

// parseSpec parses spec, evaluating it in defaultZone unless it starts with CRON_TZ= or TZ=. Fixed
// wall-clock times follow cronie's daylight saving rules (see cronieSchedule). With epochAligned, "@every
// d" fires at the multiples of d since the Unix epoch, so every process computes the same ticks; without
// it, it fires every d from the moment the scheduler starts, as in robfig/cron. It returns an error naming
// spec and SpecHelp when spec is malformed, names an unknown zone, has an "@every" duration that is not a
// whole number of seconds >= 1s, or never fires (e.g. "0 0 30 2 *", February 30). It never panics.
func parseSpec(spec string, defaultZone zone, epochAligned bool) (parsedSpec, error) {
	parsed, err := parseSpecText(strings.TrimSpace(spec), defaultZone, epochAligned)
	if err != nil {
		return parsedSpec{}, fmt.Errorf("invalid spec %q: %v; %s", spec, err, SpecHelp)
	}
	return parsed, nil
}

func parseSpecText(spec string, defaultZone zone, epochAligned bool) (parsed parsedSpec, err error) {
	if spec == "" {
		return parsedSpec{}, errors.New("it is empty")
	}
	body, zoneName := spec, defaultZone.name
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// robfig/cron slices up to the first space and panics when there is none.
		prefix, rest, found := strings.Cut(spec, " ")
		if !found || strings.TrimSpace(rest) == "" {
			return parsedSpec{}, fmt.Errorf("the time zone %q is not followed by a schedule", prefix)
		}
		body = strings.TrimSpace(rest)
		_, zoneName, _ = strings.Cut(prefix, "=")
		zoneName = canonicalZoneName(zoneName)
		parsed.ownZone = true
	}
	parsed.zone = zoneName
	var every time.Duration
	if duration, ok := strings.CutPrefix(body, "@every "); ok {
		if every, err = parseEvery(strings.TrimSpace(duration)); err != nil {
			return parsedSpec{}, err
		}
	}
	defer func() {
		if recovered := recover(); recovered != nil {
			parsed, err = parsedSpec{}, fmt.Errorf("the parser failed: %v", recovered)
		}
	}()
	schedule, err := cronParser().Parse(spec)
	if err != nil {
		return parsedSpec{}, err
	}
	if fields, ok := schedule.(*cron.SpecSchedule); ok {
		if !parsed.ownZone {
			fields.Location = defaultZone.location
		}
		schedule = newCronieSchedule(fields, hasFixedHours(body))
	}
	if every > 0 && epochAligned {
		schedule = epochSchedule{period: every}
	}
	if schedule.Next(time.Now()).IsZero() {
		return parsedSpec{}, errors.New("it never fires")
	}
	parsed.schedule = schedule
	return parsed, nil
}

// hasFixedHours reports whether a spec body (without its zone) names fixed hours, as cronie decides for
// daylight saving time: the hour field does not start with "*". "@hourly" runs every hour; the other
// descriptors run at midnight.
func hasFixedHours(body string) bool {
	fields := strings.Fields(body)
	switch {
	case len(fields) == 0:
		return false
	case strings.HasPrefix(fields[0], "@"):
		return fields[0] != "@hourly" && fields[0] != "@every"
	case len(fields) == 6:
		return !strings.HasPrefix(fields[2], "*")
	case len(fields) >= 2:
		return !strings.HasPrefix(fields[1], "*")
	}
	return false
}

func parseEvery(text string) (time.Duration, error) {
	duration, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("@every: %v", err)
	}
	if duration < time.Second || duration%time.Second != 0 {
		return 0, fmt.Errorf("@every %s: the period must be a whole number of seconds >= 1s", text)
	}
	return duration, nil
}
