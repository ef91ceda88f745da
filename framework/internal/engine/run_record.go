package engine

import (
	"errors"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/observe"
	"github.com/hadeframe/hade/framework/internal/record"
)

// runRecord is the history record of one tick of j handled by this process: started is when the process
// took the tick, commandStarted when the command started (zero if it did not), finished when it ended.
func (j *job) runRecord(env *Environment, tick time.Time, outcome string, started, commandStarted, finished time.Time,
	errText string) record.Run {
	if commandStarted.IsZero() {
		commandStarted = started
	}
	return record.Run{
		Job: j.spec.Name, Type: j.spec.Type, Service: j.spec.ServiceName, Tick: tick,
		AppID: env.AppID, Hostname: env.Process.Hostname, PID: env.Process.PID, Outcome: contract.Outcome(outcome),
		Started: started, Finished: finished, Late: commandStarted.Sub(tick),
		Error: errText, Attempt: 1, Count: 1, LastTick: tick,
	}
}

// record hands rec to the history, when there is one, and to the observer, when there is one.
func (r *running) record(rec record.Run) {
	if r.recorder != nil {
		r.recorder.record(rec)
	}
	if r.env.Observer != nil {
		r.env.Observer.Attempted(rec)
	}
}

// settled tells the observer, when there is one, that rec was the last attempt of its tick (nil: no record).
func (r *running) settled(rec *record.Run) {
	if rec != nil && r.env.Observer != nil {
		r.env.Observer.Settled(*rec)
	}
}

// claimed tells the observer, when there is one, the result of a claim of job.
func (r *running) claimed(job, result string) {
	if r.env.Observer != nil {
		r.env.Observer.Claimed(job, result)
	}
}

// claimResult is the observe.Claim… result of a claim that returned err (stopping: the claims context's
// error; won: this process holds the tick).
func claimResult(err, stopping error, won bool) string {
	switch {
	case errors.Is(err, contract.ErrTickClosed):
		return observe.ClaimClosed
	case errors.Is(err, contract.ErrDefinitionConflict):
		return observe.ClaimConflict
	case err != nil && stopping != nil && errors.Is(err, stopping):
		return observe.ClaimCanceled
	case err != nil:
		return observe.ClaimError
	case won:
		return observe.ClaimWon
	}
	return observe.ClaimHeld
}

// errorText returns the value of the "error" attribute of attrs, or "".
func errorText(attrs []slog.Attr) string {
	return attrText(attrs, "error")
}

// outcomeDetail is what a record and a run request's answer say of an attempt with outcome and attrs: its
// error, or for a tick not run (skipped, paused, excluded, not_run) the reason.
func outcomeDetail(outcome string, attrs []slog.Attr) string {
	detail := errorText(attrs)
	if detail == "" && (outcome == outcomeSkipped || outcome == outcomePaused || outcome == outcomeExcluded ||
		outcome == outcomeNotRun) {
		detail = attrText(attrs, "reason")
	}
	return detail
}

// attrText returns the value of the attribute key of attrs, or "".
func attrText(attrs []slog.Attr, key string) string {
	for _, attr := range attrs {
		if attr.Key == key {
			return attr.Value.String()
		}
	}
	return ""
}

// attrInt returns the integer value of the attribute key of attrs, or 0.
func attrInt(attrs []slog.Attr, key string) int {
	for _, attr := range attrs {
		if attr.Key == key && attr.Value.Kind() == slog.KindInt64 {
			return int(attr.Value.Int64())
		}
	}
	return 0
}

// attrMilliseconds returns the duration of the float attribute key of attrs, in milliseconds, or 0.
func attrMilliseconds(attrs []slog.Attr, key string) time.Duration {
	for _, attr := range attrs {
		if attr.Key == key && attr.Value.Kind() == slog.KindFloat64 {
			return time.Duration(attr.Value.Float64() * float64(time.Millisecond))
		}
	}
	return 0
}
