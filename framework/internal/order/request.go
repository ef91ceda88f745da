// Package order holds the framework's job-control requests and their answers: the run and kill requests
// operators make (`cron run`, `cron kill`, the status page's actions) and the answers of the processes
// that carry them out. A backend never reads them: it stores each as an opaque body
// (contract.ControlRequest.Body, contract.ControlAnswer.Body) beside the few fields it keys and expires
// them by, which EncodeRequest and EncodeAnswer fill. So a request may gain kinds and fields without a
// change to any backend.
//
// The bodies are JSON objects with one-letter keys, times as integers of µs since the Unix epoch (left
// out for the zero time.Time), as the run records' (framework/internal/record). What the backend keeps
// beside a body is not repeated in it: a request's ID and Made, an answer's AppID. Decoding ignores
// unknown keys, so a request or an answer may gain fields without making the bodies of older versions
// unreadable (nor theirs ours); encoding/json matches keys without regard to case, so a new key must
// differ from the others by more than case.
package order

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kind is what a Request asks of the processes.
type Kind string

// Kinds of Request.
const (
	Run      Kind = "run"      // run the job once now, on exactly one live process
	Kill     Kind = "kill"     // cancel the job's running run wherever it runs
	Backfill Kind = "backfill" // run every tick of the job in [From, To), oldest first, on one live process
)

// MaxBackfillTicks is the most ticks one Backfill request may run.
const MaxBackfillTicks = 10000

// Request is an operator's order about one job, which every live process reads at its next heartbeat
// (contract.Orders) and ignores once it is older than contract.ControlRequestTTL.
type Request struct {
	ID   string    // unique (a random UUID), made by the requester: the backend's key
	Job  string    // the job name
	Kind Kind      // Run or Kill
	Made time.Time // when the requester made it
	// Overlap (Run only) overrides the entry's overlap policy for this run: one of OverlapPolicies; "" keeps
	// the entry's. A process of a version without it runs with the entry's policy.
	Overlap string
	// Reason (Kill only) says why the run is cancelled, for its log line and record: "" for an operator's
	// `cron kill`; the replacing tick for OverlapCancelOther and OverlapTerminateOther.
	Reason string
	// Target (Kill only) is the app id of the one process whose runs are cancelled; "" for every process.
	Target string
	// From and To (Backfill only) bound the ticks run: those in [From, To).
	From, To time.Time
}

// The overlap policies a run request may name (`cron run --overlap`), as scheduler.OverlapPolicy's
// names.
const (
	OverlapForbid         = "forbid"
	OverlapAllow          = "allow"
	OverlapBufferOne      = "buffer_one"
	OverlapBufferAll      = "buffer_all"
	OverlapCancelOther    = "cancel_other"
	OverlapTerminateOther = "terminate_other"
)

// OverlapPolicies lists the overlap policies' names.
func OverlapPolicies() []string {
	return []string{OverlapForbid, OverlapAllow, OverlapBufferOne, OverlapBufferAll, OverlapCancelOther,
		OverlapTerminateOther}
}

// New returns a request of kind for job with a fresh ID (a random UUID), made now.
func New(job string, kind Kind) Request {
	return Request{ID: uuid.NewString(), Job: job, Kind: kind, Made: time.Now()}
}

// Validate returns an error naming the field of r that is missing or unknown: the ID, job, kind (Run, Kill
// or Backfill) and Made are required, a Backfill's From before its To, and an Overlap only on a Run or a
// Backfill.
func (r Request) Validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("control request of job %q without an ID: Request.ID (a random UUID) is required",
			r.Job)
	case r.Job == "":
		return fmt.Errorf("control request %q without a job: Request.Job is required", r.ID)
	case r.Kind != Run && r.Kind != Kill && r.Kind != Backfill:
		return fmt.Errorf("control request %q of job %q: unknown kind %q, want %q, %q or %q", r.ID, r.Job, r.Kind,
			Run, Kill, Backfill)
	case r.Kind == Backfill && (r.From.IsZero() || !r.To.After(r.From)):
		return fmt.Errorf("control request %q of job %q: backfill from %s to %s: the end must be after the start",
			r.ID, r.Job, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	case r.Overlap != "" && (r.Kind == Kill || !slices.Contains(OverlapPolicies(), r.Overlap)):
		return fmt.Errorf("control request %q of job %q: overlap policy %q, want one of %s on a run or backfill request",
			r.ID, r.Job, r.Overlap, strings.Join(OverlapPolicies(), ", "))
	case r.Made.IsZero():
		return fmt.Errorf("control request %q of job %q without a time: Request.Made is required",
			r.ID, r.Job)
	}
	return nil
}

// BackfillTicks returns the ticks of a Backfill of [from, to) for a schedule whose next fire time after t
// is next(t) (zero: none): oldest first. It returns an error naming the count when there are more than
// MaxBackfillTicks, or none.
func BackfillTicks(next func(time.Time) time.Time, from, to time.Time) ([]time.Time, error) {
	var ticks []time.Time
	for tick := next(from.Add(-time.Nanosecond)); !tick.IsZero() && tick.Before(to); tick = next(tick) {
		if len(ticks) == MaxBackfillTicks {
			return nil, fmt.Errorf("more than %d ticks from %s to %s: backfill at most %d per request (split the range)",
				MaxBackfillTicks, from.Format(time.RFC3339), to.Format(time.RFC3339), MaxBackfillTicks)
		}
		ticks = append(ticks, tick)
	}
	if len(ticks) == 0 {
		return nil, fmt.Errorf("no tick of the job's schedule from %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return ticks, nil
}
