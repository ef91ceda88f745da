package contract

import (
	"context"
	"time"
)

// RunLease names the run of a service's tick that holds the service's run lease: while it is held, no
// other run of the service starts (the OverlapForbid policy). Holder is "" when nobody holds it.
type RunLease struct {
	Service string
	Holder  string    // the app id of the process running it
	Tick    time.Time // the tick it runs (for a run requested by an operator: when it was requested)
}

// RunLeases keep the run leases of services (part of every Backend). A lease is taken by a claim with
// Claim.RunLease or by AcquireRun, lives ttl after its last taking or renewal by the backend's clock, and ends earlier by ReleaseRun. Its holder must end its
// run once it can no longer be sure of the lease: ttl after the last renewal it sent that succeeded,
// by its own clock, so that a holder that stalled (SIGSTOP, a VM pause) past the lease never runs beside
// the next holder. Errors name the backend; ctx's error is returned when ctx ends first.
type RunLeases interface {
	// AcquireRun takes the run lease of lease.Service for lease.Holder and lease.Tick, to live ttl (> 0),
	// unless another run holds it. It returns the holder: lease itself when taken (or already held by it),
	// else the other run. It returns an error for an invalid service name, an empty holder, a zero tick or
	// ttl <= 0.
	AcquireRun(ctx context.Context, lease RunLease, ttl time.Duration) (RunLease, error)
	// RenewRuns extends each of leases still held by its Holder for its Tick to ttl (> 0) after now, and
	// returns those that were not held any more (expired, maybe taken by another run): their holders
	// must end those runs.
	RenewRuns(ctx context.Context, leases []RunLease, ttl time.Duration) (lost []RunLease, err error)
	// ReleaseRun ends lease when it is still held by its Holder for its Tick; otherwise it does nothing
	// (not an error). A backend may return once the release is queued (Redis sends it with its next
	// claims): what the same value sends after ReleaseRun returned is decided after the release. A backend
	// re-sends a release whose call failed for a few seconds (the framework's: 5 s); one that never lands
	// is lost, and the lease expires by itself.
	ReleaseRun(ctx context.Context, lease RunLease) error
	// CountRun counts the run of run.Service at run.Tick (WithLimitedRuns: at most limit runs of the
	// service, ever, across the cluster and restarts), when fewer than limit (>= 1) runs are counted: it
	// returns the count after and counted true. At the limit it counts nothing and returns counted false.
	// Counting the tick counted last again counts nothing and returns counted true (a re-sent call whose
	// reply was lost learns that it counted). limit 0 counts nothing and returns the count (counted
	// false). It returns an error for an invalid service name, a zero tick or limit < 0, ctx's error when
	// ctx ends first and an error naming the backend when it fails.
	CountRun(ctx context.Context, run RunLease, limit int) (count int, counted bool, err error)
	// QueueRun is the run lease of a service whose ticks wait their turn (OverlapBufferOne, OverlapBufferAll):
	// it keeps the service's queue of buffered ticks, oldest first, and the newest tick taken from it. In
	// one atomic step, it first adds run.Tick to the queue unless max (>= 0) ticks wait already, run.Tick
	// waits already, is not after the newest tick taken, or run's lease is held; then, when the run lease
	// is free (or expired), it takes the oldest waiting tick off the queue and the lease for run.Holder
	// and that tick, to live ttl (> 0). It returns the lease's holder after (run.Holder and the tick it
	// must run when it took it, maybe older than run.Tick; Holder "" when free) and the ticks waiting
	// after, oldest first. max 0 queues nothing: the caller only takes the oldest waiting tick, e.g. after
	// its release. A re-sent call (its reply lost) answers as the first. It returns errors as AcquireRun's
	// and an error for max < 0.
	QueueRun(ctx context.Context, run RunLease, max int, ttl time.Duration) (holder RunLease, waiting []time.Time, err error)
	// MarkRun marks run.Service's tick run.Tick as run by run.Holder (a backfill runs each tick once): it
	// returns true when this call marked it or run.Holder had (a re-send), false when another holder had.
	// A mark is kept at least as long as the run history keeps records of its tick (the retention's
	// MaxAge after the tick), then may be dropped. It returns errors as AcquireRun's (without the ttl).
	MarkRun(ctx context.Context, run RunLease) (marked bool, err error)
}
