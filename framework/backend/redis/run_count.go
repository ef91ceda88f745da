package redis

import (
	"context"
	_ "embed" // the run count script
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The runs counted of a service (contract.RunLeases.CountRun) are the hash <prefix>run-counts:<service>,
// apart from its fence, never expiring: "count" and "last", the tick counted last in µs (as the fences'
// ticks). run_count.lua reads and writes it in one script call, which Redis runs alone: the check and the
// increment of clients counting at once are never interleaved.
var (
	//go:embed run_count.lua
	runCountSource string
	runCountScript = redis.NewScript(runCountSource)
)

// runCountKey returns the key of service's run count.
func (r *redisBackend) runCountKey(service string) string { return r.prefix + "run-counts:" + service }

// CountRun implements contract.RunLeases.CountRun in one script call (EVALSHA; EVAL once after Redis
// restarts), the tick kept to the µs. It returns an error for invalid input (rules.ValidateRunCount),
// ctx's error when ctx ends first, and an error naming Redis and the key when the call fails (Redis down,
// a timeout, another type of value at the key, a closed backend) or its reply is not {count, counted}.
func (r *redisBackend) CountRun(ctx context.Context, run contract.RunLease, limit int) (int, bool, error) {
	if err := rules.ValidateRunCount(run, limit); err != nil {
		return 0, false, err
	}
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	key := r.runCountKey(run.Service)
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	tick := strconv.FormatInt(run.Tick.UnixMicro(), 10)
	reply, err := runCountScript.Run(callCtx, r.client, []string{key}, tick, limit).Int64Slice()
	if err == nil && (len(reply) != 2 || reply[0] < 0 || reply[1] < 0 || reply[1] > 1) {
		err = fmt.Errorf("unexpected reply %v", reply)
	}
	if err != nil {
		return 0, false, r.callError(ctx, fmt.Sprintf("run count of service %q at %s", run.Service, key), err)
	}
	return int(reply[0]), reply[1] == 1, nil
}
