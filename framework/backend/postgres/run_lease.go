package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// A service's run lease is kept in its fence's row (lease_holder, lease_tick, lease_until by the server's
// clock) and decided by the lease rule every backend runs (rules.Lease), in claim_ticks, acquire_run and
// renew_runs, and with the service's queue of buffered ticks in queue_run (run_queue.go).

// AcquireRun implements contract.RunLeases.AcquireRun in one acquire_run call, after the release of the
// service's lease this client queued last, if any, was answered. It returns an error for an invalid lease
// or ttl (rules.ValidateRunLease), ctx's error when ctx ends first, and an error naming postgres otherwise.
func (p *pgBackend) AcquireRun(ctx context.Context, lease contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	if err := rules.ValidateRunLease(lease, ttl, true); err != nil {
		return contract.RunLease{}, err
	}
	what := fmt.Sprintf("acquire the run lease of service %q", lease.Service)
	if err := p.awaitRelease(ctx, lease.Service, what); err != nil {
		return contract.RunLease{}, err
	}
	lease.Tick = time.UnixMicro(lease.Tick.UnixMicro())
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	holder := contract.RunLease{Service: lease.Service}
	err := p.pool.QueryRow(ctx, p.sql.acquireRun, lease.Service, lease.Holder, lease.Tick, ttl.Microseconds()).
		Scan(&holder.Holder, &holder.Tick)
	if err != nil {
		return contract.RunLease{}, p.fail(what, err)
	}
	return holder, nil
}

// RenewRuns implements contract.RunLeases.RenewRuns in one renew_runs call: the leases not held any more
// come back in the order given. Errors as AcquireRun's (rules.ValidateRunLeases), for any of leases.
func (p *pgBackend) RenewRuns(ctx context.Context, leases []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	if err := rules.ValidateRunLeases(leases, ttl); err != nil || len(leases) == 0 {
		return nil, err
	}
	services, holders, ticks := make([]string, len(leases)), make([]string, len(leases)), make([]time.Time, len(leases))
	for i, lease := range leases {
		services[i], holders[i], ticks[i] = lease.Service, lease.Holder, time.UnixMicro(lease.Tick.UnixMicro())
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, p.sql.renewRuns, services, holders, ticks, ttl.Microseconds())
	if err != nil {
		return nil, p.fail(fmt.Sprintf("renew %d run leases", len(leases)), err)
	}
	defer rows.Close()
	var lost []contract.RunLease
	for rows.Next() {
		var ord int
		if err := rows.Scan(&ord); err != nil {
			return nil, p.fail(fmt.Sprintf("renew %d run leases", len(leases)), err)
		}
		if ord < 1 || ord > len(leases) {
			return nil, p.fail("renew run leases", fmt.Errorf("answer for lease %d of %d", ord, len(leases)))
		}
		lost = append(lost, leases[ord-1])
	}
	if err := rows.Err(); err != nil {
		return nil, p.fail(fmt.Sprintf("renew %d run leases", len(leases)), err)
	}
	return lost, nil
}

// ReleaseRun implements contract.RunLeases.ReleaseRun: the release is queued to go with the claims of
// the moment, in the next claim_ticks call, and ReleaseRun returns without waiting for it (a run's end
// never waits for the server). A release whose call fails is sent again within claimqueue.ReleaseWindow
// (5 s); past it the lease expires by itself. It returns an error only for invalid input or a closed
// backend.
func (p *pgBackend) ReleaseRun(ctx context.Context, lease contract.RunLease) error {
	if err := rules.ValidateRunLease(lease, 0, false); err != nil {
		return err
	}
	lease.Tick = time.UnixMicro(lease.Tick.UnixMicro())
	request := claimqueue.NewRelease[claimEntry, claimAnswer](context.WithoutCancel(ctx), lease.Service,
		claimEntry{release: true, lease: lease}, lease.Service, p.callTimeout)
	if err := p.releases.Enqueue(p.queue, request); err != nil {
		return fmt.Errorf("postgres at %s: release of the run lease of service %q: %w", p.address, lease.Service, err)
	}
	return nil
}

// awaitRelease waits until the last release of service's lease queued by ReleaseRun, if any, was answered
// (by the server, or failed), so that what the caller sends next is decided after it. It returns ctx's
// error, as the backend's failure to do what, when ctx ends first.
func (p *pgBackend) awaitRelease(ctx context.Context, service, what string) error {
	if err := p.releases.Await(ctx, service); err != nil {
		return fmt.Errorf("postgres at %s: %s: %w", p.address, what, err)
	}
	return nil
}

// CountRun implements contract.RunLeases.CountRun in one count_run call (migrations/003_run_counts.sql),
// which decides by rules.RunCount.Add under the service's row lock of service_run_counts; the tick is kept
// to the µs (timestamptz). It returns an error for invalid input (rules.ValidateRunCount), ctx's error
// when ctx ends first, an error naming the missing privilege when the role may not use service_run_counts
// (a schema migrated by another role, whose grants predate version 3), and an error naming postgres
// otherwise (a failed call may have counted: calling again with the same tick says so).
func (p *pgBackend) CountRun(ctx context.Context, run contract.RunLease, limit int) (int, bool, error) {
	if err := rules.ValidateRunCount(run, limit); err != nil {
		return 0, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	var count int
	var counted bool
	err := p.pool.QueryRow(ctx, p.sql.countRun, run.Service, time.UnixMicro(run.Tick.UnixMicro()), limit).
		Scan(&count, &counted)
	if err != nil {
		return 0, false, p.privilege(fmt.Sprintf("count the run of service %q", run.Service), err)
	}
	return count, counted, nil
}
