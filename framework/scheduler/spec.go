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

// ParseSpec parses spec into a schedule whose Next returns fire times in the spec's time zone (the local
// zone unless CRON_TZ= or TZ= names one). With epochAligned, "@every d" fires at the multiples of d since
// the Unix epoch, so every process computes the same ticks; without it, it fires every d from the moment the
// scheduler starts, as in robfig/cron. It returns an error naming spec and SpecHelp when spec is malformed,
// names an unknown zone, has an "@every" duration that is not a whole number of seconds >= 1s, or never
// fires (e.g. "0 0 30 2 *", February 30). It never panics.
func ParseSpec(spec string, epochAligned bool) (cron.Schedule, error) {
	schedule, err := parseSpec(strings.TrimSpace(spec), epochAligned)
	if err != nil {
		return nil, fmt.Errorf("invalid spec %q: %v; %s", spec, err, SpecHelp)
	}
	return schedule, nil
}

func parseSpec(spec string, epochAligned bool) (schedule cron.Schedule, err error) {
	if spec == "" {
		return nil, errors.New("it is empty")
	}
	body := spec
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// robfig/cron slices up to the first space and panics when there is none.
		zone, rest, found := strings.Cut(spec, " ")
		if !found || strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("the time zone %q is not followed by a schedule", zone)
		}
		body = strings.TrimSpace(rest)
	}
	var every time.Duration
	if duration, ok := strings.CutPrefix(body, "@every "); ok {
		if every, err = parseEvery(strings.TrimSpace(duration)); err != nil {
			return nil, err
		}
	}
	defer func() {
		if recovered := recover(); recovered != nil {
			schedule, err = nil, fmt.Errorf("the parser failed: %v", recovered)
		}
	}()
	schedule, err = cronParser().Parse(spec)
	if err != nil {
		return nil, err
	}
	if every > 0 && epochAligned {
		schedule = EpochSchedule{Period: every}
	}
	if schedule.Next(time.Now()).IsZero() {
		return nil, errors.New("it never fires")
	}
	return schedule, nil
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
