package contract

import (
	"context"
	"time"
)

// RequestKind is the kind of a ControlRequest.
type RequestKind string

// Kinds of ControlRequest.
const (
	RequestRun  RequestKind = "run"  // run the job once now, on exactly one live process
	RequestKill RequestKind = "kill" // cancel the job's running run wherever it runs
)

// ControlRequestTTL is how long a request and its answers are kept: a process that sees a request older
// than this ignores it.
const ControlRequestTTL = time.Minute

// ControlRequest is an operator's order for one job, taken by every live process at its next heartbeat.
type ControlRequest struct {
	ID   string      // unique (a random UUID), made by the requester
	Job  string      // the job name
	Kind RequestKind // RequestRun or RequestKill
	Made time.Time   // when the requester made it
}

// ControlAnswer is a process's answer to a request: the outcome of the run it made for a RequestRun, or
// "killed" for a RequestKill whose run it cancelled.
type ControlAnswer struct {
	AppID   string
	Outcome Outcome
	Detail  string
	At      time.Time
}

// Orders is what every process learns at each heartbeat (ProcessRegistry.Heartbeat): the paused jobs and
// the requests made within ControlRequestTTL.
type Orders struct {
	Paused   []string         // job names, sorted
	Requests []ControlRequest // oldest first
}

// JobControl keeps the orders of operators to the cron processes sharing a backend (part of every Backend):
// paused jobs, persistently, and run-now and kill requests with their answers, kept ControlRequestTTL. The processes read the orders with their
// heartbeat.
type JobControl interface {
	// SetPaused pauses job (paused true) or resumes it, for every process, until changed again; setting
	// the current state is not an error. It returns ctx's error when ctx ends first and an error naming
	// the backend when it fails.
	SetPaused(ctx context.Context, job string, paused bool) error
	// AddRequest stores request for the processes. It returns an error when the ID, the job, the kind or
	// Made is missing or the kind unknown, and errors as SetPaused.
	AddRequest(ctx context.Context, request ControlRequest) error
	// TakeRequest takes request id for appID: it returns true to the first caller only, false to every
	// other (one process runs a RequestRun). Errors as SetPaused.
	TakeRequest(ctx context.Context, id, appID string) (bool, error)
	// Paused returns the paused jobs, sorted. Errors as SetPaused.
	Paused(ctx context.Context) ([]string, error)
	// Answer stores a process's answer to the request id; answers of one request are kept in order.
	// Errors as SetPaused.
	Answer(ctx context.Context, id string, answer ControlAnswer) error
	// Answers returns the answers to request id so far, oldest first (none is not an error). Errors as
	// SetPaused.
	Answers(ctx context.Context, id string) ([]ControlAnswer, error)
}
