package local

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/flock"
)

// The local backend keeps a service's run lease in its state file, with the fence (run_holder, run_tick,
// run_until by l's clock), under the same flock.

// AcquireRun implements contract.RunLeases.AcquireRun in the service's state file. Errors as ClaimTick's.
func (l *localBackend) AcquireRun(ctx context.Context, lease contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	if err := rules.ValidateRunLease(lease, ttl, true); err != nil {
		return contract.RunLease{}, err
	}
	var holder contract.RunLease
	err := l.updateLease(ctx, lease.Service, func(current rules.Lease) rules.Lease {
		var next rules.Lease
		next, holder = current.Acquire(lease, ttl, l.now())
		return next
	})
	return holder, err
}

// RenewRuns implements contract.RunLeases.RenewRuns, one state file after the other.
func (l *localBackend) RenewRuns(ctx context.Context, leases []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	if err := rules.ValidateRunLeases(leases, ttl); err != nil {
		return nil, err
	}
	var lost []contract.RunLease
	for _, lease := range leases {
		held := false
		err := l.updateLease(ctx, lease.Service, func(current rules.Lease) rules.Lease {
			if held = current.Holds(lease.Holder, lease.Tick) && !current.Free(l.now()); held {
				current.Until = l.now().Add(ttl)
			}
			return current
		})
		if err != nil {
			return nil, err
		}
		if !held {
			lost = append(lost, lease)
		}
	}
	return lost, nil
}

// ReleaseRun implements contract.RunLeases.ReleaseRun in the service's state file.
func (l *localBackend) ReleaseRun(ctx context.Context, lease contract.RunLease) error {
	if err := rules.ValidateRunLease(lease, 0, false); err != nil {
		return err
	}
	return l.updateLease(ctx, lease.Service, func(current rules.Lease) rules.Lease {
		if current.Holds(lease.Holder, lease.Tick) {
			return rules.Lease{}
		}
		return current
	})
}

// updateLease replaces the run lease of service's state file by what change returns for it, under the
// file's lock, writing only when it changed.
func (l *localBackend) updateLease(ctx context.Context, service string, change func(rules.Lease) rules.Lease) error {
	return l.updateState(ctx, service, "run lease", func(state serviceState) (serviceState, bool) {
		next := change(state.lease)
		write := next != state.lease
		state.lease = next
		return state, write
	})
}

// updateState replaces service's state by what change returns for it, under the state file's lock,
// writing it only when change says so (write). what names the call in ctx's error (e.g. "run lease"). It
// returns ctx's error when ctx ends before the lock is taken, and an error naming the file when it cannot
// be opened, locked within l.lockWait, read, parsed or written.
func (l *localBackend) updateState(ctx context.Context, service, what string, change func(serviceState) (next serviceState, write bool)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("service %q: %s: %w", service, what, err)
	}
	path := l.LockFile(service)
	file, err := l.openLockFile(path)
	if err != nil {
		return fmt.Errorf("service %q: open lock file: %w", service, err)
	}
	defer file.Close() // releases the lock
	if err := flock.LockContext(ctx, file, l.lockWait); err != nil {
		return fmt.Errorf("service %q: lock %s: %w", service, path, err)
	}
	current, err := readState(file)
	if err != nil {
		return fmt.Errorf("service %q: lock file %s holds unreadable state (%v); stop the cron processes and remove the file", service, path, err)
	}
	if next, write := change(current); write {
		if err := writeState(file, next); err != nil {
			return fmt.Errorf("service %q: write %s: %w", service, path, err)
		}
	}
	return nil
}
