package record

import (
	"encoding/json"
	"errors"
	"github.com/hadeframe/hade/framework/internal/clock"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// The bodies are JSON objects with one-letter keys, their times as integers of µs since the Unix epoch
// (clock.UnixMicros: 0 for the zero time.Time): written once per run, they are kept small. Decoding
// ignores unknown keys, so a record may gain fields without making the bodies already stored unreadable;
// encoding/json matches keys without regard to case, so a new key must differ from the others by more
// than case.

// runBody is a Run as encoded (see above): Started relative to Tick, Finished to Started and LastTick to
// Tick; the fields most runs share are left out: Type "distributed" (nil), Service equal to the job (nil),
// Attempt and Count 1 (0). The run of a distributed job that went well is about 140 bytes, a quarter of
// them the app id.
type runBody struct {
	Job      string  `json:"j"`
	Type     *string `json:"y,omitempty"`
	Service  *string `json:"s,omitempty"`
	Tick     int64   `json:"t,omitempty"`
	AppID    string  `json:"a,omitempty"`
	Hostname string  `json:"h,omitempty"`
	PID      int     `json:"p,omitempty"`
	Outcome  string  `json:"o,omitempty"`
	Started  int64   `json:"b,omitempty"` // Started-Tick, µs
	Duration int64   `json:"d,omitempty"` // Finished-Started, µs
	Late     int64   `json:"l,omitempty"` // µs
	Error    string  `json:"e,omitempty"`
	Attempt  int     `json:"n,omitempty"` // Attempt-1
	Count    int     `json:"c,omitempty"` // Count-1
	LastTick int64   `json:"z,omitempty"` // LastTick-Tick, µs
	Resends  int     `json:"r,omitempty"` // ClaimResends
	Jitter   int64   `json:"x,omitempty"` // µs
	Origin   string  `json:"g,omitempty"`
	Waited   int64   `json:"w,omitempty"` // µs
}

// EncodeRun returns run as a backend stores it: the fields the backend selects, orders and expires by,
// and the run as a body, its Error cut to MaxRunErrorLength bytes and its times to the µs.
func EncodeRun(run Run) (contract.RunRecord, error) {
	tick, started := clock.UnixMicros(run.Tick), clock.UnixMicros(run.Started)
	body := runBody{Job: run.Job, Tick: tick, AppID: run.AppID, Hostname: run.Hostname, PID: run.PID,
		Outcome: string(run.Outcome), Started: started - tick, Duration: clock.UnixMicros(run.Finished) - started,
		Late: run.Late.Microseconds(), Error: cutError(run.Error), Attempt: run.Attempt - 1, Count: run.Count - 1,
		LastTick: clock.UnixMicros(run.LastTick) - tick, Resends: run.ClaimResends, Jitter: run.Jitter.Microseconds(),
		Origin: run.Origin, Waited: run.Waited.Microseconds()}
	if run.Type != "distributed" {
		body.Type = &run.Type
	}
	if run.Service != run.Job {
		body.Service = &run.Service
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return contract.RunRecord{}, err
	}
	return contract.RunRecord{Job: run.Job, Tick: run.Tick, LastTick: run.LastTick, Outcome: run.Outcome,
		Body: encoded}, nil
}

// errNotARun is the error of a body that is not a run record: not a JSON object, or without a job.
var errNotARun = errors.New("not a run record")

// DecodeRun is the inverse of EncodeRun: the run a body holds, its times in UTC. It returns an error when
// body is not a run record.
func DecodeRun(body []byte) (Run, error) {
	var b runBody
	if err := json.Unmarshal(body, &b); err != nil {
		return Run{}, err
	}
	if b.Job == "" {
		return Run{}, errNotARun
	}
	run := Run{Job: b.Job, Type: "distributed", Service: b.Job, Tick: clock.FromUnixMicros(b.Tick), AppID: b.AppID,
		Hostname: b.Hostname, PID: b.PID, Outcome: contract.Outcome(b.Outcome), Started: clock.FromUnixMicros(b.Tick + b.Started),
		Finished: clock.FromUnixMicros(b.Tick + b.Started + b.Duration), Late: time.Duration(b.Late) * time.Microsecond,
		Error: b.Error, Attempt: b.Attempt + 1, Count: b.Count + 1, LastTick: clock.FromUnixMicros(b.Tick + b.LastTick),
		ClaimResends: b.Resends, Jitter: time.Duration(b.Jitter) * time.Microsecond, Origin: b.Origin,
		Waited: time.Duration(b.Waited) * time.Microsecond}
	if b.Type != nil {
		run.Type = *b.Type
	}
	if b.Service != nil {
		run.Service = *b.Service
	}
	return run, nil
}
