package redis

import (
	"context"
	_ "embed" // the run lease script
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// runLeaseScript acquires or renews run leases; see redis_run_lease.lua.
//
//go:embed run_lease.lua
var runLeaseSource string

var runLeaseScript = redis.NewScript(runLeaseSource)

// AcquireRun implements contract.RunLeases.AcquireRun in one script call, by Redis's clock, once the
// release of the service's lease this backend queued last, if any, was answered.
func (r *redisBackend) AcquireRun(ctx context.Context, lease contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	if err := rules.ValidateRunLease(lease, ttl, true); err != nil {
		return contract.RunLease{}, err
	}
	lease.Tick = time.UnixMicro(lease.Tick.UnixMicro())
	if err := r.awaitRelease(ctx, lease.Service); err != nil {
		return contract.RunLease{}, err
	}
	reply, err := r.runLeases(ctx, "acquire", []contract.RunLease{lease}, ttl)
	if err != nil {
		return contract.RunLease{}, err
	}
	pair, _ := reply[0].([]any)
	if len(pair) != 2 {
		return contract.RunLease{}, fmt.Errorf("redis at %s: acquire run lease of service %q: unexpected reply %v", r.address, lease.Service, reply[0])
	}
	holder, _ := pair[0].(string)
	return contract.RunLease{Service: lease.Service, Holder: holder, Tick: microsField(pair[1])}, nil
}

// RenewRuns implements contract.RunLeases.RenewRuns in one script call, by Redis's clock.
func (r *redisBackend) RenewRuns(ctx context.Context, leases []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	if err := rules.ValidateRunLeases(leases, ttl); err != nil || len(leases) == 0 {
		return nil, err
	}
	reply, err := r.runLeases(ctx, "renew", leases, ttl)
	if err != nil {
		return nil, err
	}
	var lost []contract.RunLease
	for i, lease := range leases {
		if held, _ := reply[i].(int64); held != 1 {
			lost = append(lost, lease)
		}
	}
	return lost, nil
}

// ReleaseRun implements contract.RunLeases.ReleaseRun: the release is queued to go with the claims of the
// moment, in the claim script's next call, and ReleaseRun returns without waiting for it (a run's end
// never waits for Redis). A release whose call fails is sent again within claimqueue.ReleaseWindow (5 s);
// past it the lease expires by itself. It returns an error only for invalid input or a closed backend.
func (r *redisBackend) ReleaseRun(ctx context.Context, lease contract.RunLease) error {
	if err := rules.ValidateRunLease(lease, 0, false); err != nil {
		return err
	}
	if err := r.releases.Enqueue(r.queue, r.newReleaseRequest(ctx, lease)); err != nil {
		return fmt.Errorf("redis at %s: release of the run lease of service %q: %w", r.address, lease.Service, err)
	}
	return nil
}

// awaitRelease waits until the last release of service's lease queued by ReleaseRun, if any, was answered
// (by Redis, or failed), so that what the caller sends next (AcquireRun, QueueRun) is decided after it. It
// returns ctx's error, wrapped, when ctx ends first.
func (r *redisBackend) awaitRelease(ctx context.Context, service string) error {
	if err := r.releases.Await(ctx, service); err != nil {
		return fmt.Errorf("redis at %s: run lease of service %q: waiting for its release queued last: %w",
			r.address, service, err)
	}
	return nil
}

// runLeases runs the run lease script's op on leases with ttl and returns its reply, one value per lease.
func (r *redisBackend) runLeases(ctx context.Context, op string, leases []contract.RunLease, ttl time.Duration) ([]any, error) {
	keys := make([]string, len(leases))
	args := make([]any, 0, 2+2*len(leases))
	args = append(args, op, ttl.Microseconds())
	for i, lease := range leases {
		keys[i] = r.FenceKey(lease.Service)
		args = append(args, lease.Holder, strconv.FormatInt(lease.Tick.UnixMicro(), 10))
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	reply, err := runLeaseScript.Run(ctx, r.client, keys, args...).Slice()
	if err == nil && len(reply) != len(leases) {
		err = fmt.Errorf("unexpected reply of %d values to %d leases", len(reply), len(leases))
	}
	if err != nil {
		return nil, fmt.Errorf("redis at %s db %d (%s): %s run leases of %d services: %w", r.address, r.db, r.setting, op, len(leases), err)
	}
	return reply, nil
}
