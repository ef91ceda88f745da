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
	Run  Kind = "run"  // run the job once now, on exactly one live process
	Kill Kind = "kill" // cancel the job's running run wherever it runs
)

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

// Validate returns an error naming the field of r that is missing or unknown: every field is required,
// and the kind is Run or Kill.
func (r Request) Validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("control request of job %q without an ID: Request.ID (a random UUID) is required",
			r.Job)
	case r.Job == "":
		return fmt.Errorf("control request %q without a job: Request.Job is required", r.ID)
	case r.Kind != Run && r.Kind != Kill:
		return fmt.Errorf("control request %q of job %q: unknown kind %q, want %q or %q", r.ID, r.Job, r.Kind,
			Run, Kill)
	case r.Overlap != "" && (r.Kind != Run || !slices.Contains(OverlapPolicies(), r.Overlap)):
		return fmt.Errorf("control request %q of job %q: overlap policy %q, want one of %s on a run request",
			r.ID, r.Job, r.Overlap, strings.Join(OverlapPolicies(), ", "))
	case r.Made.IsZero():
		return fmt.Errorf("control request %q of job %q without a time: Request.Made is required",
			r.ID, r.Job)
	}
	return nil
}
