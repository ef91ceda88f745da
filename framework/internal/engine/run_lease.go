package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
	"github.com/hadeframe/hade/framework/internal/order"
)

// A run of a distributed entry with OverlapForbid holds its service's run lease (contract.RunLeases): it
// lives leaseTTL after its taking or renewal by the backend's clock; the lease keeper renews the leases of
// the process every leaseRenewal and checks their deadlines every leaseCheck; a holder ends its run
// (errLeaseLost) once leaseTTL-leaseMargin passed, by its own clock, since the last renewal it sent that
// succeeded (at most leaseCheck later; at once when the run asks its context): before any other process
// can take the lease.
const (
	leaseTTL     = 5 * time.Second
	leaseRenewal = time.Second
	leaseCheck   = 250 * time.Millisecond
	leaseMargin  = time.Second
	leaseCall    = time.Second // bound of a renewal call
)

// A tick won while another run held the run lease asks for it again up to busyRechecks times,
// busyRecheckGap apart, before it is skipped: the release of a run that has just ended may still be on its
// way to a backend slowed by load, and the tick would be lost to it.
const (
	busyRechecks   = 2
	busyRecheckGap = 200 * time.Millisecond
)

// errLeaseLost is the cause of a run's context cancelled because its run lease could not be renewed.
var errLeaseLost = errors.New("the run lease could not be renewed in time: another process may start the job")

// heldLease is the run lease an entry's run holds on this process.
type heldLease struct {
	lease contract.RunLease
	job   *job

	mu       sync.Mutex
	deadline time.Time // when the run must end unless renewed (local clock, monotonic)
	lost     bool
}

// hold makes j's run the holder of lease, taken by a call sent at sent, and hands it to the lease keeper.
func (j *job) hold(state *running, lease contract.RunLease, sent time.Time) {
	held := &heldLease{lease: lease, job: j, deadline: sent.Add(leaseTTL - leaseMargin)}
	j.lastHeld.Store(lease.Tick.UnixNano())
	j.lease.Store(held)
	state.leases.track(held)
}

// renewed moves the deadline to leaseTTL-leaseMargin after sent, when the lease is not already lost.
func (h *heldLease) renewed(sent time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost {
		return
	}
	h.deadline = sent.Add(leaseTTL - leaseMargin)
}

// renewalDue reports whether the lease was taken or last renewed leaseRenewal-leaseCheck ago or more.
func (h *heldLease) renewalDue(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return now.Sub(h.deadline.Add(-(leaseTTL - leaseMargin))) >= leaseRenewal-leaseCheck
}

// expired reports whether the deadline has passed (or the lease was lost), ending the run if so.
func (h *heldLease) expired() bool {
	h.mu.Lock()
	late := h.lost || !time.Now().Before(h.deadline)
	h.mu.Unlock()
	if late {
		h.expire()
	}
	return late
}

// expire marks the lease lost and cancels the entry's runs with errLeaseLost (once).
func (h *heldLease) expire() {
	h.mu.Lock()
	first := !h.lost
	h.lost = true
	h.mu.Unlock()
	if first {
		h.job.cancelRuns(errLeaseLost)
	}
}

// releaseLease gives back the run lease j's run holds, if any, and returns it: a failure is logged (the
// lease then ends leaseTTL after its last renewal).
func (j *job) releaseLease(state *running) *heldLease {
	held := j.lease.Swap(nil)
	if held == nil {
		return nil
	}
	state.leases.untrack(held)
	held.mu.Lock()
	held.lost = true
	held.mu.Unlock()
	// no deadline of its own: each backend bounds the call (Redis: its request timeout; etcd: re-sends within
	// 5 s; local: its lock wait)
	if err := state.env.Backend.ReleaseRun(context.Background(), held.lease); err != nil {
		j.entryLogger(state.env).Warn("cron run lease", "tick", held.lease.Tick.Format(time.RFC3339),
			"error", "release: "+err.Error(), "expires_in", leaseTTL.String())
	}
	return held
}

// leaseContext is a run's context under a run lease: Err checks the lease's deadline itself, so a run
// resumed after a stall past its lease sees its context ended before it does anything, without waiting
// for the timer to fire.
type leaseContext struct {
	context.Context
	held *heldLease
}

func (c leaseContext) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if c.held.expired() { // expire cancelled the entry's runs: Done closes, maybe after this returns
		return context.Canceled
	}
	return nil
}

// acquire takes the run lease for a run an operator requested (tick: when it was requested; a backfill's
// tick), under OverlapForbid (the entry's policy or the request's override; distributed entries only): it
// returns an outcome when the run must not go on (skipped: another run holds it; error). A backfill waits
// for the lease instead of skipping, until the process stops.
func (j *job) acquire(state *running, tick time.Time, mode runMode) (string, []slog.Attr) {
	overlap := j.overlapOf(mode)
	if j.spec.Type != distributed || overlap == order.OverlapAllow {
		return "", nil
	}
	for {
		holder, taken, err := j.acquireLease(state, tick)
		switch {
		case err != nil:
			return callFailed(state, "acquire run lease", err)
		case taken:
			return "", nil
		case !mode.backfills():
			return outcomeSkipped, busyAttrs(holder)
		}
		if !clock.Sleep(state.claims, replacePoll) {
			return outcomeNotRun, []slog.Attr{slog.String("reason", "the process stopped while the backfilled tick waited for the run lease")}
		}
	}
}

// busyAttrs are the attributes of a tick skipped because busy, another run, holds the run lease.
func busyAttrs(busy contract.RunLease) []slog.Attr {
	reason := fmt.Sprintf("the previous run of the job still runs on process %s", busy.Holder)
	if !busy.Tick.IsZero() {
		reason = fmt.Sprintf("the previous run of the job (tick %s) still runs on process %s", busy.Tick.Format(time.RFC3339), busy.Holder)
	}
	return []slog.Attr{slog.String("reason", reason+" (overlap policy forbid)"), slog.String("holder", busy.Holder)}
}

// recheckBusy asks for the run lease of tick, won while busy held it (see busyRechecks): it reports
// whether this process took it (it then holds it), else returns the last holder known. It stops early when
// the process stops or a call fails.
func (j *job) recheckBusy(state *running, tick time.Time, busy contract.RunLease) (contract.RunLease, bool) {
	for range busyRechecks {
		if !clock.Sleep(state.claims, busyRecheckGap) {
			return busy, false
		}
		holder, taken, err := j.acquireLease(state, tick)
		switch {
		case err != nil:
			return busy, false
		case taken:
			return holder, true
		}
		busy = holder
	}
	return busy, false
}
