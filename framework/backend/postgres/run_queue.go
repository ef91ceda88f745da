package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// QueueRun implements contract.RunLeases.QueueRun in one queue_run call (migrations/004_run_queues.sql),
// after the release of the service's lease this client queued last, if any, was answered (so that a
// holder's take after its ReleaseRun is decided after the release). queue_run decides by
// rules.RunQueue.Queue and the server's clock under the row lock of the service's fence, which holds the
// run lease of claims, AcquireRun, RenewRuns and ReleaseRun: the queue (service_run_queues) and the lease
// change in one transaction. Ticks are kept to the µs (timestamptz): run.Tick re-sent with nanoseconds,
// a monotonic reading or another location is the same tick. It returns the holder after (Tick in the
// local location, zero when Holder is "") and the ticks waiting after, oldest first; an error for invalid
// input (rules.ValidateRunQueue), ctx's error when ctx ends first, an error naming the missing privilege
// when the role may not use service_run_queues (a schema migrated by another role, whose grants predate
// version 4), and an error naming postgres otherwise (a failed call may have queued or taken: calling
// again with the same run says what it holds).
func (p *pgBackend) QueueRun(ctx context.Context, run contract.RunLease, max int, ttl time.Duration) (
	contract.RunLease, []time.Time, error) {
	if err := rules.ValidateRunQueue(run, max, ttl); err != nil {
		return contract.RunLease{}, nil, err
	}
	what := fmt.Sprintf("queue a run of service %q", run.Service)
	if err := p.awaitRelease(ctx, run.Service, what); err != nil {
		return contract.RunLease{}, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	holder := contract.RunLease{Service: run.Service}
	var tick *time.Time // NULL when the lease is free
	var waiting []time.Time
	err := p.pool.QueryRow(ctx, p.sql.queueRun, run.Service, run.Holder, time.UnixMicro(run.Tick.UnixMicro()),
		max, ttl.Microseconds()).Scan(&holder.Holder, &tick, &waiting)
	if err != nil {
		return contract.RunLease{}, nil, p.privilege(what, err)
	}
	if tick != nil {
		holder.Tick = *tick
	}
	if len(waiting) == 0 {
		waiting = nil
	}
	return holder, waiting, nil
}
