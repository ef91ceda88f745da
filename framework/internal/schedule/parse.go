package schedule

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

// Every says where the ticks of an "@every d" spec start; it changes no other spec.
type Every int

const (
	// EveryFromEpoch fires at the multiples of d since the Unix epoch (1970-01-01T00:00:00Z): the ticks do
	// not depend on when a process started, so all processes agree on them.
	EveryFromEpoch Every = iota
	// EveryFromNow fires d after the time asked, as robfig/cron's "@every" does: Next(t) is t+d, rounded
	// down to the second.
	EveryFromNow
)

// CronParser returns the robfig/cron parser of the spec fields Parse accepts: an optional seconds field
// and descriptors. It knows neither cronie's daylight saving rules nor epoch-aligned "@every".
func CronParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// Parse parses spec (see SpecHelp; surrounding white space is ignored), evaluating it in defaultZone
// unless it starts with CRON_TZ= or TZ=. With fixed hours (the hour field does not start with "*"; the
// descriptors but @hourly) daylight saving time is handled as cronie does: a wall-clock time that occurs
// twice fires once, at its first occurrence, and one skipped by a spring-forward transition fires once, at
// the transition; other specs run by the instant. "@every d" starts as every says. It returns an error
// naming spec and ending with SpecHelp when spec is empty or malformed, names an unknown zone, has an
// "@every" duration that is not a whole number of seconds >= 1s, or never fires (e.g. "0 0 30 2 *",
// February 30). It never panics.
func Parse(spec string, defaultZone Zone, every Every) (Schedule, error) {
	parsed, err := parseText(strings.TrimSpace(spec), defaultZone, every)
	if err != nil {
		return Schedule{}, fmt.Errorf("invalid spec %q: %v; %s", spec, err, SpecHelp)
	}
	parsed.spec = spec
	return parsed, nil
}

func parseText(spec string, defaultZone Zone, every Every) (parsed Schedule, err error) {
	if spec == "" {
		return Schedule{}, errors.New("it is empty")
	}
	body, zoneName := spec, defaultZone.name
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// robfig/cron slices up to the first space and panics when there is none.
		prefix, rest, found := strings.Cut(spec, " ")
		if !found || strings.TrimSpace(rest) == "" {
			return Schedule{}, fmt.Errorf("the time zone %q is not followed by a schedule", prefix)
		}
		body = strings.TrimSpace(rest)
		_, zoneName, _ = strings.Cut(prefix, "=")
		zoneName = canonicalZoneName(zoneName)
		parsed.namesZone = true
	}
	parsed.zone = zoneName
	defer func() {
		if recovered := recover(); recovered != nil {
			parsed, err = Schedule{}, fmt.Errorf("the parser failed: %v", recovered)
		}
	}()
	next, err := parseBody(spec, body, defaultZone, parsed.namesZone, every)
	if err != nil {
		return Schedule{}, err
	}
	if next.Next(time.Now()).IsZero() {
		return Schedule{}, errors.New("it never fires")
	}
	parsed.next = next
	return parsed, nil
}

// parseBody returns the fire times of spec, whose body is spec without its zone: cronie's rules for
// fields, epoch-aligned or robfig/cron's "@every". It may panic (robfig/cron does on some input).
func parseBody(spec, body string, defaultZone Zone, namesZone bool, every Every) (cron.Schedule, error) {
	var period time.Duration
	if duration, ok := strings.CutPrefix(body, "@every "); ok {
		var err error
		if period, err = parseEvery(strings.TrimSpace(duration)); err != nil {
			return nil, err
		}
	}
	next, err := CronParser().Parse(spec)
	if err != nil {
		return nil, err
	}
	if fields, ok := next.(*cron.SpecSchedule); ok {
		if !namesZone {
			fields.Location = defaultZone.location
		}
		next = newCronieSchedule(fields, hasFixedHours(body))
	}
	if period > 0 && every == EveryFromEpoch {
		next = epochSchedule{period: period}
	}
	return next, nil
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

// parseEvery parses the duration of "@every <duration>": a whole number of seconds >= 1s.
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
