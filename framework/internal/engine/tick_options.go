package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/internal/clock"
	"github.com/hadeframe/hade/framework/internal/schedule"
)

// jitterKey is the run line's attribute (and the record's field) of a tick's jitter, in milliseconds.
const jitterKey = "jitter_ms"

// parseTicks returns r with its schedule: its spec parsed in zone (unless the spec names its own), bounded
// by WithStartAt and WithEndAt, and its WithExclude specs parsed in the spec's zone. It returns an error
// when a spec does not parse, or the jitter is longer than the spec's interval.
func parseTicks(r registration, zone schedule.Zone) (registration, error) {
	parsed, err := schedule.Parse(r.Spec, zone, every(r.Type))
	if err != nil {
		return r, err
	}
	if parsed.NamesZone() {
		if zone, err = schedule.LoadZone(parsed.Zone()); err != nil {
			return r, err
		}
	}
	exclusions := make([]schedule.Schedule, 0, len(r.options.exclude))
	for _, spec := range r.options.exclude {
		excluded, err := schedule.Parse(spec, zone, every(r.Type))
		if err != nil {
			return r, fmt.Errorf("WithExclude: %w", err)
		}
		exclusions = append(exclusions, excluded)
	}
	if jitter := r.options.jitter; jitter > 0 {
		if interval := shortestInterval(parsed, clock.Now()); interval > 0 && jitter > interval {
			return r, fmt.Errorf("WithJitter(%s) is longer than the spec's interval of %s: a tick's run could start "+
				"after the next tick; use at most %s", jitter, interval, interval)
		}
	}
	r.schedule, r.Zone, r.exclusions = parsed.Within(r.options.startAt, r.options.endAt), parsed.Zone(), exclusions
	return r, nil
}

// shortestInterval returns the shortest time between two of the first 100 ticks of s after now (0 when s
// fires less than twice).
func shortestInterval(s schedule.Schedule, now time.Time) time.Duration {
	var shortest time.Duration
	previous := s.Next(now)
	for i := 0; i < 100 && !previous.IsZero(); i++ {
		next := s.Next(previous)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(previous); shortest == 0 || gap < shortest {
			shortest = gap
		}
		previous = next
	}
	return shortest
}

// exclusion returns the WithExclude spec that tick matches, or "" when none does.
func (r registration) exclusion(tick time.Time) string {
	for i, excluded := range r.exclusions {
		if excluded.Matches(tick) {
			return r.options.exclude[i]
		}
	}
	return ""
}

// excludedDefinition is the part of the entry's definition that names its exclusions: "" for none.
func (r registration) excludedDefinition() string {
	text := ""
	for _, spec := range r.options.exclude {
		text += " excluding " + strconv.Quote(spec)
	}
	return text
}

// jitterOf returns the jitter of job's tick: an offset in [0, max) that every process computes alike,
// from an FNV-1a hash of the job name and the tick's Unix time in ns; 0 when max is 0.
func jitterOf(job string, tick time.Time, max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	hash := fnv.New64a()
	_, _ = hash.Write([]byte(job)) // a hash.Hash never returns an error
	_, _ = hash.Write(strconv.AppendInt(nil, tick.UnixNano(), 10))
	return time.Duration(hash.Sum64() % uint64(max))
}

// waitJitter delays the run of a scheduled tick by its jitter: it returns the jitter's attribute (none
// without jitter or for a run request) once tick+jitter has come by the framework's clock, once ctx ended
// (a kill), or at once when the process begins to stop, which runs the ticks it won without delay.
func (j *job) waitJitter(ctx context.Context, state *running, tick time.Time, mode runMode) []slog.Attr {
	jitter := jitterOf(j.spec.Name, tick, j.spec.options.jitter)
	if jitter == 0 || mode.request != nil {
		return nil
	}
	timer := time.NewTimer(tick.Add(jitter).Sub(clock.Now()))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	case <-state.claims.Done():
	}
	return []slog.Attr{slog.Float64(jitterKey, milliseconds(jitter))}
}
