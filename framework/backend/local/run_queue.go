package local

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The local backend keeps a service's queue of buffered ticks (contract.RunLeases.QueueRun) in its state
// file, beside the run lease it hands out (run_queue, run_taken), not in the database: the lease lives
// there, under the file's flock, so the check that the lease is free, the take of the queue's head and the
// take of the lease are one read and one write under one lock, atomic across the processes of the host.
// Ticks are kept to the nanosecond, as the lease's.

// QueueRun implements contract.RunLeases.QueueRun by rules.RunQueue and l's clock, in the service's state
// file under its lock, writing it only when the queue or the lease changed. It returns the holder after
// and the ticks waiting after, oldest first. It returns an error for invalid input
// (rules.ValidateRunQueue), and errors as ClaimTick's (ctx's error when ctx ends before the lock is taken,
// an error naming the state file when it cannot be opened, locked, read, parsed or written).
func (l *localBackend) QueueRun(ctx context.Context, run contract.RunLease, max int, ttl time.Duration) (contract.RunLease, []time.Time, error) {
	if err := rules.ValidateRunQueue(run, max, ttl); err != nil {
		return contract.RunLease{}, nil, err
	}
	var holder contract.RunLease
	var waiting []time.Time
	err := l.updateState(ctx, run.Service, "run queue", func(state serviceState) (serviceState, bool) {
		queue, lease, answer := state.queue.Queue(state.lease, run, max, ttl, l.now())
		holder, waiting = answer, queue.Waiting
		write := lease != state.lease || !sameQueue(queue, state.queue)
		state.queue, state.lease = queue, lease
		return state, write
	})
	if err != nil {
		return contract.RunLease{}, nil, err
	}
	return holder, waiting, nil
}

// sameQueue reports whether a and b hold the same ticks waiting and the same tick taken.
func sameQueue(a, b rules.RunQueue) bool {
	return a.Taken.Equal(b.Taken) && slices.EqualFunc(a.Waiting, b.Waiting, time.Time.Equal)
}

// checkQueue checks a queue read from a state file against what rules.RunQueue.Queue keeps: at most
// rules.MaxQueued ticks, each after the tick taken and before the next (tick order, no duplicates). It
// returns an error saying which rule the queue breaks.
func checkQueue(q rules.RunQueue) error {
	if len(q.Waiting) > rules.MaxQueued {
		return errors.New("run_queue holds more ticks than rules.MaxQueued")
	}
	previous := q.Taken
	for _, tick := range q.Waiting {
		if !tick.After(previous) {
			return errors.New("run_queue is not in tick order after run_taken, or holds a tick twice")
		}
		previous = tick
	}
	return nil
}
