// Package observe holds the Observer that the cron scheduler (package engine) tells what it does, and what
// its observers (metrics, alerts, readiness) share without importing the scheduler: the results of claims
// and Join.
package observe

import "github.com/hadeframe/hade/framework/internal/record"

// Results of a claim of a tick, as Observer.Claimed receives them.
const (
	ClaimWon      = "won"      // this process won the tick
	ClaimHeld     = "held"     // another process holds the tick
	ClaimClosed   = "closed"   // the tick can no longer be claimed (a later one was, or the window passed)
	ClaimConflict = "conflict" // another definition of the service is live
	ClaimError    = "error"    // the backend could not be reached or refused the claim
	ClaimCanceled = "canceled" // the process is stopping: the claim was not sent
)

// Observer receives what the scheduler does (see engine.Environment.Observer), e.g. for metrics and alerts.
// Every method is called on a scheduler goroutine (a run's, the heartbeat's, the recorder's) and must
// return at once: an implementation that has slow work to do (an HTTP call) queues it and drops what does
// not fit, counting it.
type Observer interface {
	// Attempted is called once per recorded attempt of a tick (or its skip, or a gap of missed ticks), with
	// the record the history receives, whether or not the process keeps a history.
	Attempted(run record.Run)
	// Settled is called once per tick this process handled, after its last attempt, with that attempt's
	// record: no retry follows. A gap of missed ticks is settled once, with its one record.
	Settled(run record.Run)
	// Claimed is called with the result of each claim of a tick of job (one of the Claim… constants).
	Claimed(job, result string)
	// BackendChecked is called after each heartbeat (every second): err is nil when the backend answered.
	BackendChecked(err error)
	// RecordsLost is called when n more run records could not be written to the history.
	RecordsLost(n int)
	// Waiting is called with the ticks of job waiting in its queue (OverlapBufferOne, OverlapBufferAll)
	// each time this process learns them.
	Waiting(job string, ticks int)
	// RunsLeft is called with the runs job has left (WithLimitedRuns) each time this process counts one.
	RunsLeft(job string, runs int)
	// Paused is called with the paused jobs and their notes (job -> note) when a heartbeat's orders
	// change them, and with the first orders.
	Paused(notes map[string]string)
}

// Join returns an Observer that passes every call to each of observers in order (nil ones skipped), or
// nil when none is left.
func Join(observers ...Observer) Observer {
	var kept joined
	for _, observer := range observers {
		if observer != nil {
			kept = append(kept, observer)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return kept
}

type joined []Observer

func (j joined) Attempted(run record.Run) {
	for _, observer := range j {
		observer.Attempted(run)
	}
}

func (j joined) Settled(run record.Run) {
	for _, observer := range j {
		observer.Settled(run)
	}
}

func (j joined) Claimed(job, result string) {
	for _, observer := range j {
		observer.Claimed(job, result)
	}
}

func (j joined) BackendChecked(err error) {
	for _, observer := range j {
		observer.BackendChecked(err)
	}
}

func (j joined) RecordsLost(n int) {
	for _, observer := range j {
		observer.RecordsLost(n)
	}
}

func (j joined) Waiting(job string, ticks int) {
	for _, observer := range j {
		observer.Waiting(job, ticks)
	}
}

func (j joined) RunsLeft(job string, runs int) {
	for _, observer := range j {
		observer.RunsLeft(job, runs)
	}
}

func (j joined) Paused(notes map[string]string) {
	for _, observer := range j {
		observer.Paused(notes)
	}
}
