package redis

import (
	"context"
	_ "embed" // the run mark script
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The marks of a service's runs (contract.RunLeases.MarkRun) are the sorted set <prefix>run-marks:<service>,
// apart from its fence: one member "<tick>:<holder>" per tick marked, scored by the tick, in µs (as the
// fences' ticks). run_mark.lua reads and writes it in one script call, which Redis runs alone: the check
// and the mark of clients marking a tick at once are never interleaved. A mark is kept at least as long as
// the run history keeps records of its tick (Retention.MaxAge after it, by Redis's clock, as history.go);
// the script drops older marks when it marks, and the key expires MaxAge after its last mark, or after its
// newest tick when that is later.
var (
	//go:embed run_mark.lua
	runMarkSource string
	runMarkScript = redis.NewScript(runMarkSource)
)

// runMarkKey returns the key of service's run marks.
func (r *redisBackend) runMarkKey(service string) string { return r.prefix + "run-marks:" + service }

// MarkRun implements contract.RunLeases.MarkRun in one script call (EVALSHA; EVAL once after Redis
// restarts), the tick kept to the µs; it has nothing to do with the run lease, so it does not wait for a
// release ReleaseRun queued. It returns an error for invalid input (rules.ValidateRunLease) or a negative
// retention, ctx's error when ctx ends first, and an error naming Redis and the key when the call fails
// (Redis down, a timeout, another type of value at the key, a Lua error, a closed backend) or its reply is
// not the tick's holder.
func (r *redisBackend) MarkRun(ctx context.Context, run contract.RunLease) (bool, error) {
	if err := rules.ValidateRunLease(run, 0, false); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	retention, err := r.historyRetention()
	if err != nil {
		return false, err
	}
	key := r.runMarkKey(run.Service)
	callCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	holder, err := runMarkScript.Run(callCtx, r.client, []string{key}, formatMicros(run.Tick), run.Holder,
		max(retention.MaxAge.Milliseconds(), 1)).Text()
	if err == nil && holder == "" {
		err = fmt.Errorf("unexpected reply %q: want the tick's holder", holder)
	}
	if err != nil {
		return false, r.callError(ctx, fmt.Sprintf("run mark of service %q at %s", run.Service, key), err)
	}
	return holder == run.Holder, nil
}
