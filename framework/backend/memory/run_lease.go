package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The Store keeps each service's run lease as a rules.Lease (Until by the Store's clock) and decides it by
// the lease rule every backend runs.

// AcquireRun implements contract.RunLeases.AcquireRun by rules.Lease.Acquire and the Store's clock. It
// returns an error for an invalid lease or ttl (see rules.ValidateRunLease), a wrapped ctx error when ctx
// has ended, and an error when the client is closed.
func (c *client) AcquireRun(ctx context.Context, run contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	if err := rules.ValidateRunLease(run, ttl, true); err != nil {
		return contract.RunLease{}, err
	}
	if err := c.begin(ctx, fmt.Sprintf("run lease of service %q: acquire", run.Service)); err != nil {
		return contract.RunLease{}, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	next, holder := s.leases[run.Service].Acquire(run, ttl, now)
	s.leases[run.Service] = next
	return holder, nil
}

// RenewRuns implements contract.RunLeases.RenewRuns by the Store's clock: each of runs still held (not
// expired) by its Holder for its Tick lives ttl from now; the others are returned, in the order given.
// Errors as AcquireRun's (rules.ValidateRunLeases), for any of runs.
func (c *client) RenewRuns(ctx context.Context, runs []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	if err := rules.ValidateRunLeases(runs, ttl); err != nil {
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
		if !current.Holds(run.Holder, run.Tick) || current.Free(now) {
			lost = append(lost, run)
			continue
		}
		current.Until = now.Add(ttl)
		s.leases[run.Service] = current
	}
	return lost, nil
}

// ReleaseRun implements contract.RunLeases.ReleaseRun: it frees the lease when run holds it, at once.
// Errors as AcquireRun's (without the ttl).
func (c *client) ReleaseRun(ctx context.Context, run contract.RunLease) error {
	if err := rules.ValidateRunLease(run, 0, false); err != nil {
		return err
	}
	if err := c.begin(ctx, fmt.Sprintf("run lease of service %q: release", run.Service)); err != nil {
		return err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	if s.leases[run.Service].Holds(run.Holder, run.Tick) {
		delete(s.leases, run.Service)
	}
	return nil
}

// CountRun implements contract.RunLeases.CountRun by rules.RunCount. It returns an error for invalid input
// (rules.ValidateRunCount), and errors as AcquireRun's.
func (c *client) CountRun(ctx context.Context, run contract.RunLease, limit int) (int, bool, error) {
	if err := rules.ValidateRunCount(run, limit); err != nil {
		return 0, false, err
	}
	if err := c.begin(ctx, fmt.Sprintf("run count of service %q", run.Service)); err != nil {
		return 0, false, err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	next, count, counted := s.counts[run.Service].Add(run.Tick, limit)
	s.counts[run.Service] = next
	return count, counted, nil
}

// QueueRun implements contract.RunLeases.QueueRun by rules.RunQueue and the Store's clock. It returns an
// error for invalid input (rules.ValidateRunQueue), and errors as AcquireRun's.
func (c *client) QueueRun(ctx context.Context, run contract.RunLease, max int, ttl time.Duration) (contract.RunLease, []time.Time, error) {
	if err := rules.ValidateRunQueue(run, max, ttl); err != nil {
		return contract.RunLease{}, nil, err
	}
	if err := c.begin(ctx, fmt.Sprintf("run queue of service %q", run.Service)); err != nil {
		return contract.RunLease{}, nil, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	queue, lease, holder := s.queues[run.Service].Queue(s.leases[run.Service], run, max, ttl, now)
	s.queues[run.Service], s.leases[run.Service] = queue, lease
	return holder, slices.Clone(queue.Waiting), nil
}

// runMark keys a mark of MarkRun: the service and the tick to the microsecond.
type runMark struct {
	service string
	tick    int64 // Unix µs
}

// MarkRun implements contract.RunLeases.MarkRun: the first holder to mark a tick keeps it, for as long
// as the Store lives. Errors as ReleaseRun's.
func (c *client) MarkRun(ctx context.Context, run contract.RunLease) (bool, error) {
	if err := rules.ValidateRunLease(run, 0, false); err != nil {
		return false, err
	}
	if err := c.begin(ctx, fmt.Sprintf("run mark of service %q", run.Service)); err != nil {
		return false, err
	}
	s := c.store
	s.lock()
	defer s.mu.Unlock()
	key := runMark{service: run.Service, tick: run.Tick.UnixMicro()}
	if holder, marked := s.marks[key]; marked {
		return holder == run.Holder, nil
	}
	s.marks[key] = run.Holder
	return true, nil
}
