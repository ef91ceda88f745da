package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// endedRun is the holder a re-sent claim names when its first call did not take the run lease, was told
// no other holder, and the lease is free now: the run that held it has ended since, so the tick is skipped.
const endedRun = "(a run that has ended)"

// lease is a service's run lease: held by holder's run of tick until until, by the Store's clock.
type lease struct {
	holder string
	tick   time.Time
	until  time.Time
}

// holds reports whether l was taken by holder's run of tick (expired or not).
func (l lease) holds(holder string, tick time.Time) bool {
	return l.holder != "" && l.holder == holder && l.tick.Equal(tick)
}

// free reports whether nobody holds l at now.
func (l lease) free(now time.Time) bool {
	return l.holder == "" || now.After(l.until)
}

// named returns l as the contract names it, for service.
func (l lease) named(service string) contract.RunLease {
	return contract.RunLease{Service: service, Holder: l.holder, Tick: l.tick}
}

// leaseForClaim decides the run lease for claim, which asks for it at now and holds its tick: won says it
// moved the fence, else it is a re-send whose first call was answered firstBusy. The claim takes the lease
// when it won and no other run holds it; the result is the run it must skip for (contract.Claimed.Busy),
// zero when none. The caller holds s.mu.
func (s *Store) leaseForClaim(claim contract.Claim, won bool, firstBusy contract.RunLease, now time.Time) contract.RunLease {
	current := s.leases[claim.Service]
	switch {
	case current.holds(claim.AppID, claim.Tick):
		return contract.RunLease{}
	case won && current.free(now):
		s.leases[claim.Service] = lease{holder: claim.AppID, tick: claim.Tick, until: now.Add(claim.RunLease)}
		return contract.RunLease{}
	case !won && firstBusy.Holder != "":
		return firstBusy
	case current.free(now):
		return contract.RunLease{Service: claim.Service, Holder: endedRun}
	}
	return current.named(claim.Service)
}

// AcquireRun implements contract.RunLeases.AcquireRun by the Store's clock. It returns an error for an
// invalid lease or ttl (see validateLease), a wrapped ctx error when ctx has ended, and an error when the
// client is closed.
func (c *client) AcquireRun(ctx context.Context, run contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	if err := validateLease(run, ttl, true); err != nil {
		return contract.RunLease{}, err
	}
	if err := c.begin(ctx, fmt.Sprintf("run lease of service %q: acquire", run.Service)); err != nil {
		return contract.RunLease{}, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	current := s.leases[run.Service]
	if !current.holds(run.Holder, run.Tick) && !current.free(now) {
		return current.named(run.Service), nil
	}
	s.leases[run.Service] = lease{holder: run.Holder, tick: run.Tick, until: now.Add(ttl)}
	return run, nil
}

// RenewRuns implements contract.RunLeases.RenewRuns by the Store's clock: each of runs still held (not
// expired) by its Holder for its Tick lives ttl from now; the others are returned, in the order given.
// Errors as AcquireRun's, for any of runs.
func (c *client) RenewRuns(ctx context.Context, runs []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	var errs []error
	for _, run := range runs {
		errs = append(errs, validateLease(run, ttl, true))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := c.begin(ctx, fmt.Sprintf("run leases: renew %d", len(runs))); err != nil {
		return nil, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	var lost []contract.RunLease
	for _, run := range runs {
		current := s.leases[run.Service]
		if !current.holds(run.Holder, run.Tick) || current.free(now) {
			lost = append(lost, run)
			continue
		}
		current.until = now.Add(ttl)
		s.leases[run.Service] = current
	}
	return lost, nil
}

// ReleaseRun implements contract.RunLeases.ReleaseRun: it frees the lease when run holds it, at once.
// Errors as AcquireRun's.
func (c *client) ReleaseRun(ctx context.Context, run contract.RunLease) error {
	if err := validateLease(run, 0, false); err != nil {
		return err
	}
	if err := c.begin(ctx, fmt.Sprintf("run lease of service %q: release", run.Service)); err != nil {
		return err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	if s.leases[run.Service].holds(run.Holder, run.Tick) {
		delete(s.leases, run.Service)
	}
	return nil
}

// validateLease returns an error, in the words every backend uses, for an invalid service name
// (contract.ValidateServiceName), an empty holder, a zero tick, or, when withTTL, a ttl <= 0.
func validateLease(run contract.RunLease, ttl time.Duration, withTTL bool) error {
	if err := contract.ValidateServiceName(run.Service); err != nil {
		return err
	}
	switch {
	case run.Holder == "":
		return fmt.Errorf("run lease of service %q: the holder is empty: pass the App service's AppID()", run.Service)
	case run.Tick.IsZero():
		return fmt.Errorf("run lease of service %q: the tick is the zero time: pass the tick run", run.Service)
	case withTTL && ttl <= 0:
		return fmt.Errorf("run lease of service %q: ttl %s must be positive, e.g. 5s", run.Service, ttl)
	}
	return nil
}
