package scheduler

import (
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// runRecord is the history record of one tick of j handled by this process: started is when the process
// took the tick, commandStarted when the command started (zero if it did not), finished when it ended.
func (j *job) runRecord(env *Environment, tick time.Time, outcome string, started, commandStarted, finished time.Time,
	errText string) contract.RunRecord {
	if commandStarted.IsZero() {
		commandStarted = started
	}
	return contract.RunRecord{
		Job: j.spec.Name, Type: string(j.spec.Type), Service: j.spec.ServiceName, Tick: tick,
		AppID: env.AppID, Hostname: env.Process.Hostname, PID: env.Process.PID, Outcome: outcome,
		Started: started, Finished: finished, Late: commandStarted.Sub(tick),
		Error: errText, Attempt: 1, Count: 1, LastTick: tick,
	}
}

// record hands rec to the history, when there is one.
func (r *running) record(rec contract.RunRecord) {
	if r.recorder != nil {
		r.recorder.record(rec)
	}
}

// errorText returns the value of the "error" attribute of attrs, or "".
func errorText(attrs []slog.Attr) string {
	for _, attr := range attrs {
		if attr.Key == "error" {
			return attr.Value.String()
		}
	}
	return ""
}
