package rules

import (
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/name"
)

// UnknownHolder is the holder a re-sent claim names when it did not take the run lease and the lease is
// no longer held: its first answer was "busy", by a run that has ended since.
const UnknownHolder = "(a run that has ended)"

// Lease is a service's run lease as the local and Redis backends keep it with the fence.
type Lease struct {
	Holder string
	Tick   time.Time
	Until  time.Time // by the backend's clock
}

// Holds reports whether l is held by holder's run of tick.
func (l Lease) Holds(holder string, tick time.Time) bool {
	return l.Holder != "" && l.Holder == holder && l.Tick.Equal(tick)
}

// Free reports whether nobody holds l at now.
func (l Lease) Free(now time.Time) bool {
	return l.Holder == "" || now.After(l.Until)
}

// ForClaim decides the run lease for c, a claim asking for it at now: won says c moved the fence (else it
// is a re-sent claim of a tick c already holds). It returns the lease to keep (changed when c takes it)
// and the run c must skip for, if any (contract.Claimed.Busy).
func (l Lease) ForClaim(c contract.Claim, won bool, now time.Time) (next Lease, busy contract.RunLease) {
	switch {
	case l.Holds(c.AppID, c.Tick):
		return l, contract.RunLease{}
	case won && l.Free(now):
		return Lease{Holder: c.AppID, Tick: c.Tick, Until: now.Add(c.RunLease)}, contract.RunLease{}
	case l.Holder == "":
		return l, contract.RunLease{Service: c.Service, Holder: UnknownHolder}
	}
	return l, contract.RunLease{Service: c.Service, Holder: l.Holder, Tick: l.Tick}
}

// Acquire decides AcquireRun of lease for ttl at now: the lease to keep and the holder to answer.
func (l Lease) Acquire(lease contract.RunLease, ttl time.Duration, now time.Time) (next Lease, holder contract.RunLease) {
	if l.Holds(lease.Holder, lease.Tick) || l.Free(now) {
		return Lease{Holder: lease.Holder, Tick: lease.Tick, Until: now.Add(ttl)}, lease
	}
	return l, contract.RunLease{Service: lease.Service, Holder: l.Holder, Tick: l.Tick}
}

// ValidateRunLease checks a lease given to AcquireRun, RenewRuns or ReleaseRun, and ttl when ttl is
// checked (withTTL).
func ValidateRunLease(lease contract.RunLease, ttl time.Duration, withTTL bool) error {
	if err := name.ValidateService(lease.Service); err != nil {
		return err
	}
	switch {
	case lease.Holder == "":
		return fmt.Errorf("run lease of service %q: the holder is empty: pass the App service's AppID()", lease.Service)
	case lease.Tick.IsZero():
		return fmt.Errorf("run lease of service %q: the tick is the zero time: pass the tick run", lease.Service)
	case withTTL && ttl <= 0:
		return fmt.Errorf("run lease of service %q: ttl %s must be positive, e.g. 5s", lease.Service, ttl)
	}
	return nil
}

// ValidateRunLeases checks the leases and ttl of RenewRuns.
func ValidateRunLeases(leases []contract.RunLease, ttl time.Duration) error {
	var errs []error
	for _, lease := range leases {
		errs = append(errs, ValidateRunLease(lease, ttl, true))
	}
	return errors.Join(errs...)
}
