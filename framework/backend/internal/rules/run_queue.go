package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// MaxQueued is the most ticks a service's queue may hold (contract.RunLeases.QueueRun's max).
const MaxQueued = 1000

// RunQueue is what a backend keeps of a service's buffered ticks (contract.RunLeases.QueueRun): the
// ticks waiting, oldest first, and the newest tick taken off it. The zero value is an empty queue.
type RunQueue struct {
	Waiting []time.Time
	Taken   time.Time // the newest tick taken to run; zero when none
}

// Queue applies QueueRun's rule to q and the service's lease l at now, for run, max and ttl: the queue
// and the lease kept after, and the answer (the holder, the ticks waiting).
func (q RunQueue) Queue(l Lease, run contract.RunLease, max int, ttl time.Duration, now time.Time) (RunQueue, Lease, contract.RunLease) {
	if l.Holds(run.Holder, run.Tick) { // a re-send of the call that took it
		return q, l, contract.RunLease{Service: run.Service, Holder: l.Holder, Tick: l.Tick}
	}
	waiting := slices.Clone(q.Waiting)
	if len(waiting) < max && run.Tick.After(q.Taken) && !slices.ContainsFunc(waiting, run.Tick.Equal) {
		at, _ := slices.BinarySearchFunc(waiting, run.Tick, time.Time.Compare)
		waiting = slices.Insert(waiting, at, run.Tick)
	}
	next := RunQueue{Waiting: waiting, Taken: q.Taken}
	if !l.Free(now) || len(waiting) == 0 {
		holder := contract.RunLease{Service: run.Service}
		if !l.Free(now) {
			holder.Holder, holder.Tick = l.Holder, l.Tick
		}
		return next, l, holder
	}
	head := waiting[0]
	next.Waiting, next.Taken = waiting[1:], head
	return next, Lease{Holder: run.Holder, Tick: head, Until: now.Add(ttl)},
		contract.RunLease{Service: run.Service, Holder: run.Holder, Tick: head}
}

// ValidateRunQueue checks the input of QueueRun: the lease and ttl as AcquireRun's, and 0 <= max <=
// MaxQueued.
func ValidateRunQueue(run contract.RunLease, max int, ttl time.Duration) error {
	if err := ValidateRunLease(run, ttl, true); err != nil {
		return err
	}
	if max < 0 || max > MaxQueued {
		return fmt.Errorf("run queue of service %q: max %d must be from 0 to %d", run.Service, max, MaxQueued)
	}
	return nil
}
