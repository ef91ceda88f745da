package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// bufferAllMax is how many ticks of an OverlapBufferAll entry may wait at most (the backend's bound);
// later ones are skipped.
const bufferAllMax = 1000

// outcomeBuffered is the outcome of the line of a tick queued behind the running run (INFO, not
// recorded): the tick's run, later, has its own line and record.
const outcomeBuffered = "buffered"

// queuedRun is a tick this process took off its service's queue, with the run lease: it runs at once.
type queuedRun struct {
	lease contract.RunLease
	sent  time.Time // when the call that took it was sent (the lease's deadline counts from it)
}

// queueTick queues tick, which this process won, in the backend behind the running run, unless limit
// ticks wait (OverlapBufferOne: 1; OverlapBufferAll: bufferAllMax) under policy, and takes the run lease with the oldest
// waiting tick when it is free. It returns "" when tick itself runs here now (the lease held); otherwise
// the outcome of tick's line (buffered, skipped, error), after starting the older tick it took, if any.
func (j *job) queueTick(state *running, tick time.Time, limit int, policy string) (string, []slog.Attr) {
	lease := contract.RunLease{Service: j.spec.ServiceName, Holder: state.env.AppID, Tick: tick}
	sent := time.Now()
	holder, waiting, err := j.queueRun(state, lease, limit)
	if err != nil {
		return callFailed(state, "queue the tick", err)
	}
	if j.tookTurn(holder, state) {
		if holder.Tick.Equal(tick) {
			j.hold(state, lease, sent)
			return "", nil
		}
		j.startQueued(state, queuedRun{lease: holder, sent: sent})
	}
	running := fmt.Sprintf("the run of tick %s on process %s", holder.Tick.Format(time.RFC3339), holder.Holder)
	switch {
	case slices.ContainsFunc(waiting, tick.Equal):
		return outcomeBuffered, []slog.Attr{slog.String("reason", fmt.Sprintf("waits behind %s (overlap policy %s)",
			running, policy)), slog.Int("waiting", len(waiting))}
	case len(waiting) >= limit:
		return outcomeSkipped, []slog.Attr{slog.String("reason", fmt.Sprintf("%d tick(s) already wait behind %s (overlap policy %s)",
			len(waiting), running, policy))}
	}
	return outcomeSkipped, []slog.Attr{slog.String("reason", "a later tick of the job has already run (overlap policy "+policy+")")}
}

// queueRun calls the backend's QueueRun for lease and limit, and keeps the number of ticks waiting.
func (j *job) queueRun(state *running, lease contract.RunLease, limit int) (contract.RunLease, []time.Time, error) {
	ctx, cancel := context.WithTimeout(state.claims, controlCallTimeout)
	defer cancel()
	holder, waiting, err := state.env.Backend.QueueRun(ctx, lease, limit, leaseTTL)
	if err == nil {
		j.waiting.Store(int64(len(waiting)))
		if observer := state.env.Observer; observer != nil {
			observer.Waiting(j.spec.Name, len(waiting))
		}
	}
	return holder, waiting, err
}

// takeQueued takes the oldest tick waiting in the entry's queue when the run lease is free, and starts
// its run: after this process's run released the lease (after), or when its heartbeat finds ticks waiting
// that nobody took (their holder died). Nothing is taken once the process is stopping.
func (j *job) takeQueued(state *running, after time.Time) {
	if state.claims.Err() != nil {
		return
	}
	lease := contract.RunLease{Service: j.spec.ServiceName, Holder: state.env.AppID, Tick: after}
	sent := time.Now()
	holder, _, err := j.queueRun(state, lease, 0)
	switch {
	case err != nil:
		j.entryLogger(state.env).Warn("cron run queue", "error", "take the next waiting tick: "+err.Error(),
			"retry", "at the next tick, or when the heartbeat sees ticks waiting")
	case j.tookTurn(holder, state):
		j.startQueued(state, queuedRun{lease: holder, sent: sent})
	}
}

// startQueued runs queued's tick in a goroutine the scheduler's Stop waits for.
func (j *job) startQueued(state *running, queued queuedRun) {
	state.tasks.Add(1)
	go func() {
		defer state.tasks.Done()
		j.handle(state, queued.lease.Tick, time.Now(), runMode{queued: &queued})
	}()
}

// takeOrphans takes, for each entry of the process whose ticks wait their turn and which saw ticks
// waiting, the oldest one when the run lease is free: ticks whose holder died before it took them (its
// lease expired), as no release of it will. Each take runs on a goroutine Stop waits for.
func (r *running) takeOrphans() {
	for _, j := range r.jobs {
		if !j.buffers() || j.waiting.Load() == 0 || j.lease.Load() != nil || j.running.Load() {
			continue
		}
		r.tasks.Add(1)
		go func() {
			defer r.tasks.Done()
			j.takeQueued(r, time.Now().Truncate(time.Millisecond))
		}()
	}
}

// tookTurn reports whether holder, the lease QueueRun answered, is a turn this process took and no caller
// here has claimed yet: held by this process for a tick after every turn it took (the queue hands out
// ticks in order; an earlier one is a run it still holds, or one whose release has not landed) and not
// the lease it took last otherwise (a run request's, a claim's). The first caller to see a turn claims
// it, so that two answers naming one turn (a take after a release racing a tick's queueing) start one run.
func (j *job) tookTurn(holder contract.RunLease, state *running) bool {
	tick := holder.Tick.UnixNano()
	if holder.Holder != state.env.AppID || tick == j.lastHeld.Load() {
		return false
	}
	for {
		last := j.lastTurn.Load()
		if tick <= last {
			return false
		}
		if j.lastTurn.CompareAndSwap(last, tick) {
			return true
		}
	}
}

// buffered returns, by job, the ticks waiting in the queue of each entry whose ticks wait their turn, as
// last seen (nil when none waits).
func (r *running) buffered() map[string]int {
	var counts map[string]int
	for name, j := range r.jobs {
		if n := j.waiting.Load(); n > 0 && j.buffers() {
			if counts == nil {
				counts = map[string]int{}
			}
			counts[name] = int(n)
		}
	}
	return counts
}
