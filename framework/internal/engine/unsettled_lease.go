package engine

import (
	"context"
	"sync"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// A claim asking for the run lease whose call failed, and whose re-sends did not learn the answer before
// the entry's next tick (claimTick), may still have been applied: its reply was lost, e.g. in the etcd
// election after the leader's kill. The process does not run the tick, and the lease the claim took would
// skip the service's next ticks on every process as busy until it expired, leaseTTL after the claim. So the
// lease is released (a release that no longer matches does nothing): after the entry's running flag is
// cleared, so the entry's next ticks are claimed meanwhile, and by one handler of the entry at a time.

// unsettledLeases are the run leases an entry's unsettled claims may have taken, waiting for their release.
type unsettledLeases struct {
	mu        sync.Mutex
	pending   []unsettledLease
	releasing bool // a handler of the entry is releasing them (releaseUnsettled)
}

// unsettledLease is the run lease a claim sent at sent may have taken.
type unsettledLease struct {
	lease contract.RunLease
	sent  time.Time
}

// add queues the release of lease, which a claim sent at sent may have taken.
func (u *unsettledLeases) add(lease contract.RunLease, sent time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pending = append(u.pending, unsettledLease{lease: lease, sent: sent})
}

// start makes the caller the one releasing the pending leases: false when none is pending or another
// caller is releasing them.
func (u *unsettledLeases) start() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.releasing || len(u.pending) == 0 {
		return false
	}
	u.releasing = true
	return true
}

// next returns the next lease to release, dropping those whose claim was sent leaseTTL ago or more (they
// have ended by themselves); ok is false when none is left, and the caller stops releasing.
func (u *unsettledLeases) next(now time.Time) (unsettled unsettledLease, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.pending) > 0 {
		unsettled, u.pending = u.pending[0], u.pending[1:]
		if now.Sub(unsettled.sent) < leaseTTL {
			return unsettled, true
		}
	}
	u.releasing = false
	return unsettledLease{}, false
}

// releaseUnsettled releases the entry's pending unsettled leases, unless another handler of the entry is
// releasing them: each release is bounded by the lease's end (its claim's send plus leaseTTL), besides the
// backend's own bound. A failure is logged at DEBUG: the tick's line already says the claim failed, which
// most often (the backend down) took no lease, and a lease it took ends by itself.
func (j *job) releaseUnsettled(state *running) {
	if !j.unsettled.start() {
		return
	}
	for {
		unsettled, ok := j.unsettled.next(time.Now())
		if !ok {
			return
		}
		ctx, cancel := context.WithDeadline(context.Background(), unsettled.sent.Add(leaseTTL))
		err := state.env.Backend.ReleaseRun(ctx, unsettled.lease)
		cancel()
		if err != nil {
			j.entryLogger(state.env).Debug("cron run lease", "tick", unsettled.lease.Tick.Format(time.RFC3339),
				"error", "release after a claim whose answer is unknown: "+err.Error())
		}
	}
}
