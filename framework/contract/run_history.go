package contract

import (
	"context"
	"time"
)

// RunRecord is a record of the run history as a backend keeps it: Body, the record itself, which the
// framework encodes (a tick one process handled and its outcome, or a gap of missed ticks; see
// framework/internal/record) and the backend stores and returns byte for byte without reading it, and the
// fields the backend selects, orders and expires records by. A backend keeps Tick and LastTick to the
// millisecond at least.
type RunRecord struct {
	Job      string    // the entry's job name: every record has one
	Tick     time.Time // the tick handled (for "missed": the first tick missed): the order and the age
	LastTick time.Time // for "missed": the last tick missed, which RunQuery.Since matches too; else Tick
	Outcome  Outcome   // the outcome, as the run's log line names it: "ok", "error", "missed", …
	Body     []byte    // the encoded record
}

// Outcome is how a process ended its handling of a tick, as the run's log line names it: "ok", "error",
// "panic", "timeout", "skipped", "missed", "paused", "lease_lost", … (scheduler.RecordedOutcomes lists those
// a record may have); the framework's answers to run requests carry it too.
type Outcome string

// RunQuery selects records: every field left zero selects everything.
type RunQuery struct {
	Job     string    // only this job
	Outcome Outcome   // only this outcome
	Since   time.Time // only ticks at or after Since (for "missed": a LastTick at or after it)
	Limit   int       // at most this many, the newest; 0 means no limit
}

// RunHistory keeps the run records of every process sharing a backend (part of every Backend), newest
// first, bounded per job by count and by age (the backend's retention settings). Writes are batched by the
// caller; a failed write loses its batch and returns an error, never blocks a claim.
type RunHistory interface {
	// AppendRuns stores records in one round trip to the backend and trims what retention no longer
	// keeps; it keeps neither records nor their bodies after it returns (it stores copies). It returns an
	// error for a record without a Job, ctx's error when ctx ends first and an error naming the backend
	// when the store is unreachable, refuses the write, or (local) its file is not a readable database.
	AppendRuns(ctx context.Context, records []RunRecord) error
	// Runs returns the records query selects, newest first: by Tick descending, then the later appended
	// first (so a clock that jumped does not reorder the attempts of a tick). Appends of one process keep
	// their order; appends of different processes are ordered as the backend sequences them (etcd: by
	// the appending processes' clocks). Records older than the retention's age are never returned.
	// Errors as for AppendRuns.
	Runs(ctx context.Context, query RunQuery) ([]RunRecord, error)
	// LastRuns returns the newest record of each of jobs that has one, keyed by job, outcome "missed"
	// included. Errors as for AppendRuns.
	LastRuns(ctx context.Context, jobs []string) (map[string]RunRecord, error)
}
