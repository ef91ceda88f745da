package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// leaseKeeper checks the run leases the process's runs hold (those handed to track) every leaseCheck,
// until stop: it ends the runs whose lease passed its deadline, and renews in one call the leases last
// renewed (or taken) leaseRenewal ago or more: a run shorter than that never costs a renewal. Its cost
// follows the leases held, not the entries.
type leaseKeeper struct {
	state   *running
	logger  *slog.Logger
	stopped chan struct{}
	done    chan struct{}

	mu   sync.Mutex
	held map[*heldLease]struct{}
}

func startLeaseKeeper(state *running) *leaseKeeper {
	k := &leaseKeeper{state: state, logger: state.env.Logger, stopped: make(chan struct{}), done: make(chan struct{}),
		held: make(map[*heldLease]struct{})}
	go k.loop()
	return k
}

// track adds held to the leases k checks; a nil k (no entry under OverlapForbid) keeps nothing.
func (k *leaseKeeper) track(held *heldLease) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.held[held] = struct{}{}
}

// untrack removes held from the leases k checks.
func (k *leaseKeeper) untrack(held *heldLease) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.held, held)
}

// due returns the tracked leases whose renewal is due at now, having ended the runs of those expired.
func (k *leaseKeeper) due(now time.Time) []*heldLease {
	k.mu.Lock()
	held := make([]*heldLease, 0, len(k.held))
	for h := range k.held {
		held = append(held, h)
	}
	k.mu.Unlock()
	var due []*heldLease
	for _, h := range held {
		if !h.expired() && h.renewalDue(now) {
			due = append(due, h)
		}
	}
	return due
}

func (k *leaseKeeper) loop() {
	defer close(k.done)
	ticker := time.NewTicker(leaseCheck)
	defer ticker.Stop()
	down := false
	for {
		select {
		case <-ticker.C:
		case <-k.stopped:
			return
		}
		if due := k.due(time.Now()); len(due) > 0 {
			down = k.renew(due, down)
		}
	}
}

// renew renews the leases of held; it logs the first failure of an outage and the recovery, and returns
// whether renewals are failing.
func (k *leaseKeeper) renew(held []*heldLease, down bool) bool {
	leases := make([]contract.RunLease, len(held))
	for i, h := range held {
		leases[i] = h.lease
	}
	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), leaseCall)
	defer cancel()
	lost, err := k.state.env.Backend.RenewRuns(ctx, leases, leaseTTL)
	switch {
	case err != nil && !down:
		k.logger.Error("cron run lease: renewal failed; runs holding a lease end when it can no longer be sure of it",
			"error", err.Error(), "leases", len(leases))
	case err == nil && down:
		k.logger.Info("cron run lease: renewals work again")
	}
	if err != nil {
		return true
	}
	for _, h := range held {
		if isLost(lost, h.lease) {
			h.expire()
		} else {
			h.renewed(sent)
		}
	}
	return false
}

func isLost(lost []contract.RunLease, lease contract.RunLease) bool {
	for _, l := range lost {
		if l.Service == lease.Service && l.Holder == lease.Holder && l.Tick.Equal(lease.Tick) {
			return true
		}
	}
	return false
}

// stop ends the renewals and waits for the goroutine.
func (k *leaseKeeper) stop() {
	close(k.stopped)
	<-k.done
}
