package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/engine"
)

// Job is a registered job as `cron list --output json` prints it: its next run in RFC 3339 (or "never"),
// its hold time in milliseconds, and its last recorded run (null when none is known).
type Job struct {
	Job        string   `json:"job"`
	Type       string   `json:"type"`
	Spec       string   `json:"spec"`
	Zone       string   `json:"zone"`
	Command    string   `json:"command"`
	Service    string   `json:"service,omitempty"`
	HoldMS     float64  `json:"hold_ms,omitempty"`
	NextRun    string   `json:"next_run"`
	Over       string   `json:"over,omitempty"` // why it runs no more: its end passed, or its runs are spent
	Overlap    string   `json:"overlap,omitempty"`
	JitterMS   float64  `json:"jitter_ms,omitempty"`
	StartAt    string   `json:"start_at,omitempty"`
	EndAt      string   `json:"end_at,omitempty"`
	Exclude    []string `json:"exclude,omitempty"`
	Limit      int      `json:"limit,omitempty"`          // WithLimitedRuns
	Ran        *int     `json:"runs_counted,omitempty"`   // of a limited job, when the backend could be read
	Remaining  *int     `json:"runs_remaining,omitempty"` // Limit - runs_counted (not below 0)
	Buffered   int      `json:"buffered_ticks,omitempty"` // waiting in its queue (OverlapBufferOne/All)
	Paused     bool     `json:"paused"`
	PauseNote  string   `json:"pause_note,omitempty"`
	LastRun    *Run     `json:"last_run"`
	Definition string   `json:"definition,omitempty"`
}

// Jobs returns specs, in their order, as `cron list --output json` prints them, with their states and
// their next run after now: never nil, so that none prints as [].
func Jobs(specs []engine.Entry, states JobStates, now time.Time) []Job {
	jobs := make([]Job, 0, len(specs))
	for _, spec := range specs {
		job := Job{Job: spec.Name, Type: spec.Type, Spec: spec.Spec, Zone: spec.Zone, Command: spec.Command,
			NextRun: nextRun(spec, now), Over: over(spec, states, now),
			Overlap: spec.Overlap, JitterMS: milliseconds(spec.Jitter), StartAt: rfc3339(spec.StartAt),
			EndAt: rfc3339(spec.EndAt), Exclude: spec.Exclude}
		job.PauseNote, job.Paused = states.Paused[spec.Name]
		job.Limit = spec.Limit
		if ran, ok := states.Ran[spec.Name]; ok {
			remaining := max(spec.Limit-ran, 0)
			job.Ran, job.Remaining = &ran, &remaining
		}
		job.Buffered = states.Buffered[spec.Name]
		if job.Over != "" {
			job.NextRun = "never"
		}
		if spec.ServiceName != "" {
			job.Service, job.HoldMS, job.Definition = spec.ServiceName, milliseconds(spec.HoldTime), spec.Definition
		}
		if r, ok := states.Last[spec.Name]; ok {
			run := NewRun(r)
			job.LastRun = &run
		}
		jobs = append(jobs, job)
	}
	return jobs
}

// JobTable returns the rows `cron list` prints, one per spec in their order: job, type, spec, zone,
// command, service and hold time ("-" for a normal entry), its options (EntryOptions), next run after now
// (with why none comes any more), "paused" (with its note) or "-", and the
// last recorded run's last tick, outcome, host/pid (app id) and duration ("-" each when none is known).
func JobTable(specs []engine.Entry, states JobStates, now time.Time) Table {
	table := Table{Header: []string{"JOB", "TYPE", "SPEC", "ZONE", "COMMAND", "SERVICE", "HOLD", "OPTIONS",
		"NEXT RUN", "PAUSED", "LAST TICK", "OUTCOME", "WHERE", "DURATION"}}
	for _, spec := range specs {
		service, hold := "-", "-"
		if spec.ServiceName != "" {
			service, hold = spec.ServiceName, spec.HoldTime.String()
		}
		paused := "-"
		if note, ok := states.Paused[spec.Name]; ok {
			paused = "paused"
			if note != "" {
				paused += ": " + note
			}
		}
		lastTick, outcome, where, duration := "-", "-", "-", "-"
		if r, ok := states.Last[spec.Name]; ok {
			lastTick, outcome = r.LastTick.Format(time.RFC3339), string(r.Outcome)
			where = fmt.Sprintf("%s/%d (%s)", r.Hostname, r.PID, shortID(r.AppID))
			duration = shortDuration(r.Finished.Sub(r.Started))
		}
		next := nextRun(spec, now)
		if why := over(spec, states, now); why != "" {
			next = "never (" + why + ")"
		}
		table.add(spec.Name, spec.Type, spec.Spec, spec.Zone, spec.Command, service, hold, entryState(spec, states), next,
			paused, lastTick, outcome, where, duration)
	}
	return table
}

// nextRun is the spec's next fire time after now in RFC 3339, or "never".
func nextRun(spec engine.Entry, now time.Time) string {
	if at := spec.Next(now); !at.IsZero() {
		return at.Format(time.RFC3339)
	}
	return "never"
}

// over says why spec runs no more after now ("" while it may): its end has passed, or the backend counted
// its last run (states.Ran).
func over(spec engine.Entry, states JobStates, now time.Time) string {
	if !spec.EndAt.IsZero() && !now.Before(spec.EndAt) {
		return "ended at " + spec.EndAt.Format(time.RFC3339) + " (WithEndAt)"
	}
	if ran, ok := states.Ran[spec.Name]; ok && spec.Limit > 0 && ran >= spec.Limit {
		return fmt.Sprintf("ran its %d runs (WithLimitedRuns)", spec.Limit)
	}
	return ""
}

// entryState is EntryOptions with what the backend says of the entry: its runs left, its ticks waiting.
func entryState(spec engine.Entry, states JobStates) string {
	text := EntryOptions(spec)
	if ran, ok := states.Ran[spec.Name]; ok && spec.Limit > 0 {
		text += fmt.Sprintf(" (%d left)", max(spec.Limit-ran, 0))
	}
	if n := states.Buffered[spec.Name]; n > 0 {
		text += fmt.Sprintf(", %d tick(s) waiting", n)
	}
	return text
}

// EntryOptions names spec's options that change its ticks, as `cron list` and the status page show them,
// e.g. `overlap forbid, jitter 30s, from 2027-01-01T00:00:00Z, excluding "0 0 25 12 *"`; "-" for none.
func EntryOptions(spec engine.Entry) string {
	var parts []string
	if spec.Overlap != "" {
		parts = append(parts, "overlap "+spec.Overlap)
	}
	if spec.Jitter > 0 {
		parts = append(parts, "jitter "+spec.Jitter.String())
	}
	if !spec.StartAt.IsZero() {
		parts = append(parts, "from "+rfc3339(spec.StartAt))
	}
	if !spec.EndAt.IsZero() {
		parts = append(parts, "until "+rfc3339(spec.EndAt))
	}
	if spec.Limit > 0 {
		parts = append(parts, fmt.Sprintf("limited to %d runs", spec.Limit))
	}
	for _, excluded := range spec.Exclude {
		parts = append(parts, "excluding "+strconv.Quote(excluded))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
