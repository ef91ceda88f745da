package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/schedule"
)

// The types of entries, as Entry.Type, run records and log lines name them.
const (
	// normal entries run every tick on every process that schedules them.
	normal = "normal"
	// distributed entries run each tick on the one process that claims it through contract.Claims.
	distributed = "distributed"
)

// every says where the "@every" ticks of an entry of type t start: at the epoch for a distributed entry,
// so every process claims the same ticks; from the scheduler's start for a normal one, as in robfig/cron.
func every(t string) schedule.Every {
	if t == distributed {
		return schedule.EveryFromEpoch
	}
	return schedule.EveryFromNow
}

// Entry is a copy of one registered cron entry, as Scheduler.Entries returns it (for `cron list`, the
// status page and the checks of job names): plain data, whose changes change nothing in the scheduler.
type Entry struct {
	Name        string        // the job name, unique in the scheduler (see WithName)
	Type        string        // "normal" (every tick runs on every process) or "distributed" (on one)
	Spec        string        // as registered, e.g. "*/5 * * * * *"
	Zone        string        // the IANA zone the spec is evaluated in: its CRON_TZ=, else the scheduler's
	Command     string        // the path of the command each tick runs, e.g. "app report"
	ServiceName string        // distributed entries only ("" otherwise): the name ticks are claimed under
	HoldTime    time.Duration // distributed entries only (0 otherwise): the hold window is ±HoldTime around a tick
	// Definition (distributed entries only, "" otherwise) names what makes the entry's ticks, as claims
	// carry it: the spec, its zone and the hold time, e.g. `spec "0 * * * *" zone UTC hold 2s`. Processes
	// whose definitions of one service differ never both run it (see contract.Claim).
	Definition string
	Overlap    string        // distributed entries only ("" otherwise): the WithOverlap policy, e.g. "forbid", "buffer_one"
	Jitter     time.Duration // WithJitter's max; 0 without jitter
	StartAt    time.Time     // WithStartAt's start; zero without one
	EndAt      time.Time     // WithEndAt's end; zero without one
	Exclude    []string      // WithExclude's specs, as given
	Limit      int           // WithLimitedRuns's number of runs; 0 without a limit
	// Next returns the entry's first fire time after now, or the zero time if it never fires again. For a
	// normal "@every" entry it counts from now, as the running scheduler counts from its start. Entries
	// never leaves it nil; it is safe for concurrent use.
	Next func(now time.Time) time.Time
}

// registration is what the scheduler keeps of one entry: the fields of its Entry (Command, Definition and
// Next are made by Entries), the command itself, the parsed spec and the run policies.
type registration struct {
	Name, Type, Spec, Zone string // as in Entry
	ServiceName            string
	HoldTime               time.Duration

	command    *cobra.Command      // the command each tick runs
	schedule   schedule.Schedule   // the parsed spec within its start and end, without tick recording
	exclusions []schedule.Schedule // the parsed WithExclude specs, in options.exclude's order
	options    entryOptions        // the run policies of the registration
}

// Next returns the first fire time of r after now, or the zero time if it never fires again.
func (r registration) Next(now time.Time) time.Time {
	return r.schedule.Next(now)
}

// Definition names what makes r's ticks, as its claims carry it (see Entry.Definition).
func (r registration) Definition() string {
	return fmt.Sprintf("%s%s hold %s", r.schedule.Definition(), r.excludedDefinition(), r.HoldTime)
}

// Entries returns copies of the registered entries in registration order (failed registrations
// excluded), each with its command's path as of this call; nil when none is registered.
func (s *Scheduler) Entries() []Entry {
	var entries []Entry
	for _, j := range s.jobs {
		r := j.spec
		entry := Entry{Name: r.Name, Type: r.Type, Spec: r.Spec, Zone: r.Zone, Command: r.command.CommandPath(),
			ServiceName: r.ServiceName, HoldTime: r.HoldTime, Jitter: r.options.jitter, StartAt: r.options.startAt,
			EndAt: r.options.endAt, Exclude: slices.Clone(r.options.exclude), Limit: r.options.limit,
			Next: r.schedule.Next}
		if r.Type == distributed {
			entry.Definition, entry.Overlap = r.Definition(), r.options.overlap.String()
		}
		entries = append(entries, entry)
	}
	return entries
}
