package report

import "github.com/hadeframe/hade/framework/internal/record"

// Run is a run record as the read commands print it in JSON: times in UTC RFC 3339 ("" for none),
// durations in milliseconds.
type Run struct {
	Job        string  `json:"job"`
	Type       string  `json:"type"`
	Service    string  `json:"service,omitempty"`
	Tick       string  `json:"tick"`
	LastTick   string  `json:"last_tick,omitempty"` // the last tick of a record of Count > 1 ("missed")
	Count      int     `json:"count"`
	AppID      string  `json:"app_id"`
	Hostname   string  `json:"hostname"`
	PID        int     `json:"pid"`
	Outcome    string  `json:"outcome"`
	Started    string  `json:"started"`
	Finished   string  `json:"finished"`
	DurationMS float64 `json:"duration_ms"`         // Finished - Started
	LateMS     float64 `json:"late_ms"`             // from Tick + JitterMS
	JitterMS   float64 `json:"jitter_ms,omitempty"` // WithJitter's delay of the tick's run
	Error      string  `json:"error,omitempty"`
	Attempt    int     `json:"attempt"`
	// ClaimResends: the claim's first call failed and it was re-sent this many times to learn whether it
	// had been applied (absent: the first call answered).
	ClaimResends int `json:"claim_resends,omitempty"`
	// Origin: why the tick ran besides its schedule, "request", "backfill" or "buffered" (absent: scheduled).
	Origin   string  `json:"origin,omitempty"`
	WaitedMS float64 `json:"waited_ms,omitempty"` // a buffered tick: how long it waited in its queue
}

// NewRun returns r as the read commands print it in JSON.
func NewRun(r record.Run) Run {
	run := Run{Job: r.Job, Type: r.Type, Service: r.Service, Tick: rfc3339(r.Tick), Count: r.Count,
		AppID: r.AppID, Hostname: r.Hostname, PID: r.PID, Outcome: string(r.Outcome), Started: rfc3339(r.Started),
		Finished: rfc3339(r.Finished), DurationMS: milliseconds(r.Finished.Sub(r.Started)),
		LateMS: milliseconds(r.Late), JitterMS: milliseconds(r.Jitter), Error: r.Error, Attempt: r.Attempt, ClaimResends: r.ClaimResends,
		Origin: r.Origin, WaitedMS: milliseconds(r.Waited)}
	if r.Count > 1 {
		run.LastTick = rfc3339(r.LastTick)
	}
	return run
}

// Runs returns records as `cron history --output json` prints them, in their order: never nil, so that
// none prints as [].
func Runs(records []record.Run) []Run {
	runs := make([]Run, 0, len(records))
	for _, r := range records {
		runs = append(runs, NewRun(r))
	}
	return runs
}
