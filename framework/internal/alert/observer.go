package alert

import (
	"time"

	"github.com/hadeframe/hade/framework/internal/observe"
	"github.com/hadeframe/hade/framework/internal/record"
)

var _ observe.Observer = (*Alerter)(nil)

// Outcomes of run records, as the scheduler records them.
const (
	outcomeOK       = "ok"
	outcomeMissed   = "missed"
	outcomePaused   = "paused"
	outcomeExcluded = "excluded"
	typeDistributed = "distributed"
	verdictOK       = "ok"
	verdictFailed   = "failed"
	verdictNone     = ""
)

// failedOutcomes are the outcomes of a failed run: the command returned an error (or its claim failed),
// panicked, passed its timeout, was killed with `cron kill`, or lost its run lease. not_run, canceled and abandoned are not:
// they come from a stop of the process (its own log lines say so), not from the job.
var failedOutcomes = map[string]bool{"error": true, "panic": true, "timeout": true, "killed": true, "lease_lost": true}

// verdict returns verdictOK or verdictFailed for the outcome of a run, "" for an outcome that says
// nothing of whether the job works (skipped, paused, excluded, not_claimed, missed, canceled, not_run,
// abandoned).
func verdict(outcome string) string {
	switch {
	case outcome == outcomeOK:
		return verdictOK
	case failedOutcomes[outcome]:
		return verdictFailed
	}
	return verdictNone
}

// jobMemory is the last verdict this process settled for a job, and whether it is still the job's last
// one: for a distributed job it is not once another process may have handled a tick since.
type jobMemory struct {
	verdict string
	tick    time.Time
	current bool
}

// Settled queues a failed alert for a failed run, a missed alert for a gap of missed ticks, and a
// recovered alert for an ok run whose job's previous verdict was failed: from this process's memory when
// it settled the job's previous tick, else (distributed jobs, with a History) read later by the sender.
func (a *Alerter) Settled(run record.Run) {
	if run.Outcome == outcomeMissed {
		a.forget(run)
		a.enqueue(item{alert: newPayload(EventMissed, run)})
		return
	}
	result := verdict(string(run.Outcome))
	if result == verdictNone {
		if run.Outcome != outcomePaused && run.Outcome != outcomeExcluded { // won here: nobody else handled it
			a.forget(run)
		}
		return
	}
	previous, known := a.remember(run, result)
	switch {
	case result == verdictFailed:
		a.enqueue(item{alert: newPayload(EventFailed, run)})
	case known && previous == verdictFailed:
		a.enqueue(item{alert: newPayload(EventRecovered, run)})
	case !known && run.Type == typeDistributed && a.options.History != nil:
		check := run
		a.enqueue(item{check: &check})
	}
}

// remember records record's verdict as the job's last, and returns the previous one and whether this
// process knows it to be the job's previous verdict.
func (a *Alerter) remember(run record.Run, result string) (previous string, known bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	memory := a.jobs[run.Job]
	if memory != nil && memory.current && memory.tick.Before(run.Tick) {
		previous, known = memory.verdict, true
	}
	a.jobs[run.Job] = &jobMemory{verdict: result, tick: run.Tick, current: true}
	return previous, known
}

// forget marks what this process remembers of record's distributed job as possibly stale: another process
// may have handled one of its ticks. A normal entry's ticks all run here: its memory stays.
func (a *Alerter) forget(run record.Run) {
	if run.Type == typeDistributed {
		a.forgetJob(run.Job)
	}
}

func (a *Alerter) forgetJob(job string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if memory := a.jobs[job]; memory != nil {
		memory.current = false
	}
}

// Claimed forgets the job's last verdict when this process did not win the tick (held, closed or
// canceled): another process may settle it. Only distributed jobs claim.
func (a *Alerter) Claimed(job, result string) {
	switch result {
	case observe.ClaimHeld, observe.ClaimClosed, observe.ClaimCanceled:
		a.forgetJob(job)
	}
}

// Attempted does nothing: alerts are about settled ticks.
func (a *Alerter) Attempted(record.Run) {}

// BackendChecked does nothing.
func (a *Alerter) BackendChecked(error) {}

// RecordsLost does nothing.
func (a *Alerter) RecordsLost(int) {}

// Waiting does nothing: a queue of buffered ticks raises no alert.
func (a *Alerter) Waiting(string, int) {}

// RunsLeft does nothing: a limited job running out raises no alert.
func (a *Alerter) RunsLeft(string, int) {}

// Paused does nothing: the failed alert names a pause WithPauseOnFailure made (record.Run.PauseNote).
func (a *Alerter) Paused(map[string]string) {}
