package contract

import (
	"context"
	"time"
)

// RunRecord is one run of a cron entry as the history keeps it: a tick that one process handled, with
// its outcome, or, with Outcome "missed", Count consecutive ticks of a distributed entry that no process
// ran (Tick the first of them, LastTick the last).
type RunRecord struct {
	Job      string    // the entry's job name, unique within the application
	Type     string    // "normal" or "distributed"
	Service  string    // the distributed service name; empty for normal entries
	Tick     time.Time // the scheduled fire time handled (for "missed": the first one missed)
	AppID    string    // the process that handled it (for "missed": the one that saw the gap)
	Hostname string
	PID      int
	Outcome  Outcome       // as the run's log line: "ok", "error", "panic", "skipped", "missed", …
	Started  time.Time     // when the process started handling the tick
	Finished time.Time     // when the run ended; Finished-Started is the run's duration
	Late     time.Duration // how long after Tick the command started (or the tick was handled)
	Error    string        // the error of a failed run or claim; stores keep its first MaxRunErrorLength bytes
	Attempt  int           // 1 for the first attempt of a tick
	Count    int           // ticks this record stands for: 1, or for "missed" how many were missed
	LastTick time.Time     // for "missed": the last tick missed; else Tick
}

// Outcome is how a process ended its handling of a tick, as the run's log line names it: "ok", "error",
// "panic", "timeout", "skipped", "missed", "paused", "lease_lost", … (scheduler.RecordedOutcomes lists those
// a record may have); an answer to a run request carries the outcome of the run it made.
type Outcome string

// MaxRunErrorLength bounds RunRecord.Error, in bytes; longer errors are cut and end with "…".
const MaxRunErrorLength = 1024

// RunQuery selects records: every field left zero selects everything.
type RunQuery struct {
	Job     string    // only this job
	Outcome Outcome   // only this outcome
	Since   time.Time // only ticks at or after Since (for "missed": a LastTick at or after it)
	Limit   int       // at most this many, the newest; 0 means no limit
}

// RunHistory keeps the run records of every process sharing a backend (part of every Backend),
// newest first, bounded per job by count and by age (the backend's retention settings). Writes are batched by the caller; a failed write
// loses its batch and returns an error, never blocks a claim.
type RunHistory interface {
	// AppendRuns stores records in one round trip to the backend and trims what retention no longer
	// keeps; it does not keep records (the slice) after it returns. It returns ctx's error when ctx ends first and an error naming the backend when the store
	// is unreachable, refuses the write, or (local) its file is not a readable database.
	AppendRuns(ctx context.Context, records []RunRecord) error
	// Runs returns the records query selects, newest first: by Tick descending, then by Started
	// descending (so a clock that jumped does not reorder runs of one job). Records older than the
	// retention's age are never returned. Errors as for AppendRuns.
	Runs(ctx context.Context, query RunQuery) ([]RunRecord, error)
	// LastRuns returns the newest record of each of jobs that has one, keyed by job, outcome "missed"
	// included. Errors as for AppendRuns.
	LastRuns(ctx context.Context, jobs []string) (map[string]RunRecord, error)
}
