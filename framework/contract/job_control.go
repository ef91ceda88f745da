package contract

import (
	"context"
	"time"
)

// ControlRequestTTL is how long a request and its answers are kept: a process that sees a request older
// than this ignores it.
const ControlRequestTTL = time.Minute

// ControlRequest is an operator's order about one job (run it now, cancel its run, …) as a backend keeps
// it: Body, the request itself, which the framework encodes (see framework/internal/order) and the backend
// stores and returns byte for byte without reading it, and the fields the backend keys and expires it by.
// Every live process reads it at its next heartbeat (Orders). A backend keeps Made to the millisecond at
// least.
type ControlRequest struct {
	ID   string    // the key: unique (a random UUID), made by the requester
	Made time.Time // when the requester made it: the backend drops the request ControlRequestTTL later
	Body []byte    // the encoded request
}

// ControlAnswer is a process's answer to a request (the outcome of the run it made, …) as a backend keeps
// it: the answering process's AppID and Body, the answer itself, which the framework encodes and the
// backend stores and returns byte for byte without reading it.
type ControlAnswer struct {
	AppID string // the answering process's App.AppID()
	Body  []byte // the encoded answer
}

// Orders is what every process learns at each heartbeat (ProcessRegistry.Heartbeat): the paused jobs with
// their notes and the requests made within ControlRequestTTL.
type Orders struct {
	Paused   map[string]string // job name -> its pause note ("" for none); empty or nil when none is paused
	Requests []ControlRequest  // oldest first (by Made, then ID)
}

// JobControl keeps the orders of operators to the cron processes sharing a backend (part of every
// Backend): paused jobs, persistently, and requests (run now, kill) with their answers, kept
// ControlRequestTTL. The processes read the orders with their heartbeat.
type JobControl interface {
	// SetPaused pauses job (paused true) with note, which says why (who paused it, or the failed tick and
	// its error; "" for none), or resumes it (note ignored; its note is dropped), for every process, until
	// changed again. Pausing a paused job replaces its note; resuming a running one is not an error. The
	// note is stored as given, byte for byte. It returns an error for an empty job, ctx's error when ctx
	// ends first and an error naming the backend when it fails.
	SetPaused(ctx context.Context, job string, paused bool, note string) error
	// AddRequest stores request (a copy of its Body) for the processes until ControlRequestTTL after its
	// Made. It returns an error when the ID, Made or the Body is missing, and errors as SetPaused.
	AddRequest(ctx context.Context, request ControlRequest) error
	// TakeRequest takes request id for appID: it returns true to the first caller only, false to every
	// other (one process runs a requested run). Errors as SetPaused.
	TakeRequest(ctx context.Context, id, appID string) (bool, error)
	// Paused returns the paused jobs, each with its note ("" for none): an empty map (or nil) when none
	// is. Errors as SetPaused.
	Paused(ctx context.Context) (map[string]string, error)
	// Answer stores answer (a copy of its Body) after the answers to the request id so far, for
	// ControlRequestTTL: a request has any number of answers, of one process or of many; the request need
	// not be stored (it may have expired). It returns an error when id, answer.AppID or answer.Body is
	// missing, and errors as SetPaused.
	Answer(ctx context.Context, id string, answer ControlAnswer) error
	// Answers returns the answers to the request id so far, oldest first, each with its AppID and Body
	// (none is not an error). Errors as SetPaused.
	Answers(ctx context.Context, id string) ([]ControlAnswer, error)
}
