package redis

import (
	"context"
	_ "embed" // the run queue script
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The buffered ticks of a service (contract.RunLeases.QueueRun) are the hash <prefix>run-queues:<service>,
// apart from its fence, never expiring: "waiting", the ticks waiting in µs (as the fences' ticks), oldest
// first and separated by spaces (at most rules.MaxQueued, about 17 kB), and "taken", the newest tick taken
// off it. The run lease they wait for is the one in the service's fence, which claims, AcquireRun,
// RenewRuns and ReleaseRun use. run_queue.lua reads and writes both in one script call, which Redis runs
// alone: checking that the lease is free or expired (by Redis's clock), taking the oldest waiting tick and
// taking the lease are never interleaved with another client's calls.
var (
	//go:embed run_queue.lua
	runQueueSource string
	runQueueScript = redis.NewScript(runQueueSource)
)

// runQueueKey returns the key of service's queue of buffered ticks.
func (r *redisBackend) runQueueKey(service string) string { return r.prefix + "run-queues:" + service }

// QueueRun implements contract.RunLeases.QueueRun in one script call (EVALSHA; EVAL once after Redis
// restarts), once the release of the service's lease this backend queued last, if any, was answered (so
// a QueueRun right after ReleaseRun sees the release); ticks are kept to the µs. The call is sent once,
// as AcquireRun's: when it fails, the caller may send it again, and the rule answers a re-send whose first
// call was applied as the first. It returns an error for invalid input (rules.ValidateRunQueue), ctx's
// error when ctx ends first, and an error naming Redis and the keys when the call fails (Redis down, a
// timeout, another type of value at a key, a Lua error, a closed backend) or its reply is not {holder,
// tick, waiting}.
func (r *redisBackend) QueueRun(ctx context.Context, run contract.RunLease, maxWaiting int, ttl time.Duration) (contract.RunLease, []time.Time, error) {
	if err := rules.ValidateRunQueue(run, maxWaiting, ttl); err != nil {
		return contract.RunLease{}, nil, err
	}
	if err := ctx.Err(); err != nil {
		return contract.RunLease{}, nil, err
	}
	if err := r.awaitRelease(ctx, run.Service); err != nil {
		return contract.RunLease{}, nil, err
	}
	fence, key := r.FenceKey(run.Service), r.runQueueKey(run.Service)
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	reply, err := runQueueScript.Run(callCtx, r.client, []string{fence, key}, run.Holder, formatMicros(run.Tick),
		maxWaiting, max(ttl.Microseconds(), 1)).Slice()
	holder, waiting := contract.RunLease{}, []time.Time(nil)
	if err == nil {
		holder, waiting, err = decodeRunQueueReply(run.Service, reply)
	}
	if err != nil {
		what := fmt.Sprintf("run queue of service %q at %s (its run lease at %s)", run.Service, key, fence)
		return contract.RunLease{}, nil, r.callError(ctx, what, err)
	}
	return holder, waiting, nil
}

// decodeRunQueueReply reads run_queue.lua's reply for service, {holder, tick (µs), {waiting ticks (µs),
// oldest first}} with holder and tick "" when the lease is free. It returns an error naming the reply when
// it has not that shape.
func decodeRunQueueReply(service string, reply []any) (contract.RunLease, []time.Time, error) {
	holder, tick, ticks, ok := "", "", []any(nil), len(reply) == 3
	if ok {
		var isHolder, isTick, isList bool
		holder, isHolder = reply[0].(string)
		tick, isTick = reply[1].(string)
		ticks, isList = reply[2].([]any)
		ok = isHolder && isTick && isList && (holder != "") == (tick != "")
	}
	lease := contract.RunLease{Service: service, Holder: holder}
	var err error
	if ok && holder != "" {
		lease.Tick, err = parseMicros(tick)
	}
	waiting := make([]time.Time, len(ticks))
	for i := 0; ok && err == nil && i < len(ticks); i++ {
		waiting[i], err = parseMicros(ticks[i])
	}
	if !ok || err != nil {
		return contract.RunLease{}, nil, fmt.Errorf("unexpected reply %v", reply)
	}
	return lease, waiting, nil
}

// parseMicros reads a tick in µs since the Unix epoch from a script's reply. It returns an error when the
// field is not a decimal integer text.
func parseMicros(field any) (time.Time, error) {
	text, _ := field.(string)
	micros, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("tick %v is not µs since the Unix epoch", field)
	}
	return time.UnixMicro(micros), nil
}
