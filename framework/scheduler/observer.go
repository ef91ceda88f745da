package scheduler

import "github.com/hadeframe/hade/framework/internal/record"

// Observer receives what the scheduler does (see Environment.Observer), e.g. for metrics and alerts. Every
// method is called on a scheduler goroutine (a run's, the heartbeat's, the recorder's) and must return at
// once: an implementation that has slow work to do (an HTTP call) queues it and drops what does not fit,
// counting it.
type Observer interface {
	// Attempted is called once per recorded attempt of a tick (or its skip, or a gap of missed ticks), with
	// the record the history receives, whether or not the process keeps a history.
	Attempted(run record.Run)
	// Settled is called once per tick this process handled, after its last attempt, with that attempt's
	// record: no retry follows. A gap of missed ticks is settled once, with its one record.
	Settled(run record.Run)
	// Claimed is called with the result of each claim of a tick of job: "won" (this process won the tick),
	// "held" (another process holds it), "closed" (it can no longer be claimed: a later tick was, or the
	// window passed), "conflict" (another definition of the service is live), "error" (the backend could
	// not be reached or refused the claim) or "canceled" (the process is stopping: the claim was not sent).
	Claimed(job, result string)
	// BackendChecked is called after each heartbeat (every second): err is nil when the backend answered.
	BackendChecked(err error)
	// RecordsLost is called when n more run records could not be written to the history.
	RecordsLost(n int)
}
