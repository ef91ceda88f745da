package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// leaseKeeper checks the run leases of the process's runs every leaseCheck, until stop: it ends the runs
// whose lease passed its deadline, and renews in one call the leases last renewed (or taken) leaseRenewal
// ago or more: a run shorter than that never costs a renewal.
type leaseKeeper struct {
	state   *running
	logger  *slog.Logger
	stopped chan struct{}
	done    chan struct{}
}

func startLeaseKeeper(state *running) *leaseKeeper {
	k := &leaseKeeper{state: state, logger: state.env.Logger, stopped: make(chan struct{}), done: make(chan struct{})}
	go k.loop()
	return k
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
		var due []*heldLease
		now := time.Now()
		for _, j := range k.state.jobs {
			if h := j.lease.Load(); h != nil && !h.expired() && h.renewalDue(now) {
				due = append(due, h)
			}
		}
		if len(due) > 0 {
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
