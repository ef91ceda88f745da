package scheduler

import (
	"time"

	"github.com/hadeframe/hade/framework/internal/engine"
)

// WithJitter delays the run of each scheduled tick by an offset in [0, max) computed from the job name and
// the tick, so that many entries on one spec do not all start at once. Every process computes the same
// offset, and a distributed tick is claimed at its scheduled time as without jitter: jitter never changes
// which process runs a tick or how many times. The tick stays the scheduled time; the run line and record
// give the offset as jitter_ms and the lateness (late_ms) from tick+jitter. A `cron run` request runs at
// once, and a process that begins to stop runs the ticks it won without waiting. max <= 0, or longer than
// the shortest interval between two of the spec's ticks, is a registration error.
func WithJitter(max time.Duration) EntryOption { return EntryOption(engine.WithJitter(max)) }

// WithStartAt makes the entry's ticks begin at start: no tick before it runs or is claimed. `cron list`
// gives the first tick at or after it as the next run. The zero time, or a start not before WithEndAt's
// end, is a registration error. A distributed entry's definition names its start (see contract.Claim).
func WithStartAt(start time.Time) EntryOption { return EntryOption(engine.WithStartAt(start)) }

// WithEndAt makes the entry's ticks end before end: a tick at or after it does not run. Once end has
// passed, the entry stays registered, runs nothing, and `cron list` says since when. The zero time, or an
// end not after WithStartAt's start, is a registration error. A distributed entry's definition names its
// end (see contract.Claim).
func WithEndAt(end time.Time) EntryOption { return EntryOption(engine.WithEndAt(end)) }

// WithExclude keeps the entry from running a tick that is also a tick of one of specs (5 or 6 fields, or
// a descriptor, e.g. "0 0 25 12 *"), evaluated in the zone of the entry's spec unless a spec names its own
// (CRON_TZ=), with the same daylight saving rules. Such a tick is logged and recorded once with outcome
// "excluded" (for a distributed entry, by the process that claims it) and not run. No spec, or one that
// does not parse, is a registration error. A distributed entry's definition names its exclusions.
func WithExclude(specs ...string) EntryOption { return EntryOption(engine.WithExclude(specs...)) }

// WithLimitedRuns makes a distributed entry run n times in all, across the cluster and across restarts:
// the backend counts each won tick before it runs (contract.RunLeases.CountRun), and once n are counted
// the entry stays registered and runs nothing more; the process that learns it records one tick as
// skipped, naming the limit, and claims no more ticks of it. `cron list` shows the runs counted and, once
// they are all spent, why nothing runs. Retries of a tick count once; `cron run` requests do not count. A
// count whose reply was lost is not run, and still counted: never more than n runs, maybe fewer. The count
// lives in the backend: one that loses its data (a Redis restarted without persistence) forgets it, and the
// job may run n times more. n < 1, or the option on a normal entry (the count is the cluster's), is a
// registration error.
func WithLimitedRuns(n int) EntryOption { return EntryOption(engine.WithLimitedRuns(n)) }
