package engine

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/internal/clock"
	"github.com/hadeframe/hade/framework/internal/order"
)

// runningPoll is how often a run that got its turn checks whether this process's previous run of the
// entry has cleared the entry's running flag.
const runningPoll = 10 * time.Millisecond

// overlapOf is the overlap policy a tick handled in mode runs under: a run request's override, else the
// entry's.
func (j *job) overlapOf(mode runMode) string {
	if mode.request != nil && mode.request.Overlap != "" {
		return mode.request.Overlap
	}
	return j.spec.options.overlap.String()
}

// takesTurns reports whether a tick handled in mode waits for its turn on the service's run lease
// (OverlapBufferOne, OverlapBufferAll, OverlapCancelOther, OverlapTerminateOther, distributed entries only)
// instead of being skipped while the previous run goes on; a tick taken off the queue has its turn.
func (j *job) takesTurns(mode runMode) bool {
	if mode.queued != nil {
		return true
	}
	switch j.overlapOf(mode) {
	case order.OverlapBufferOne, order.OverlapBufferAll: // a backfill's past ticks wait for the lease instead
		return j.spec.Type == distributed && !mode.backfills()
	case order.OverlapCancelOther, order.OverlapTerminateOther:
		return j.spec.Type == distributed
	}
	return false
}

// takeTurn claims tick (a scheduled one), then queues it or cancels the previous run by the overlap
// policy until tick holds the run lease and the entry's running flag. It returns an outcome when tick
// does not run now, with neither held.
func (j *job) takeTurn(state *running, tick time.Time, mode runMode, attrs []slog.Attr) (string, []slog.Attr) {
	if mode.queued == nil && mode.request == nil {
		outcome, claimAttrs := j.claimTurn(state, tick, mode)
		if attrs = append(attrs, claimAttrs...); outcome != "" {
			return outcome, attrs
		}
	}
	policy := j.overlapOf(mode)
	var outcome string
	var turnAttrs []slog.Attr
	switch {
	case mode.queued != nil:
		j.hold(state, mode.queued.lease, mode.queued.sent)
	case policy == order.OverlapBufferOne:
		outcome, turnAttrs = j.queueTick(state, tick, 1, policy)
	case policy == order.OverlapBufferAll:
		outcome, turnAttrs = j.queueTick(state, tick, bufferAllMax, policy)
	default: // cancel_other, terminate_other: the flag first, then the lease
		outcome, turnAttrs = j.replaceTurn(state, tick, policy)
		return outcome, append(attrs, turnAttrs...)
	}
	if attrs = append(attrs, turnAttrs...); outcome != "" {
		return outcome, attrs
	}
	if outcome, waitAttrs := j.awaitRunning(state, time.Time{}); outcome != "" {
		j.releaseLease(state)
		return outcome, append(attrs, waitAttrs...)
	}
	return "", attrs
}

// replaceTurn takes the entry's running flag, cancelling this process's run of the entry if it holds
// it, then the run lease, cancelling the run that holds it elsewhere (replaceOther). It returns an
// outcome when tick does not run now, with neither held.
func (j *job) replaceTurn(state *running, tick time.Time, policy string) (string, []slog.Attr) {
	if j.running.Load() {
		j.cancelRuns(killedError{reason: replaceReason(state, tick, policy)})
	}
	if outcome, attrs := j.awaitRunning(state, j.spec.Next(tick)); outcome != "" {
		return outcome, attrs
	}
	holder, taken, err := j.acquireLease(state, tick)
	outcome, attrs := "", []slog.Attr(nil)
	switch {
	case err != nil:
		outcome, attrs = callFailed(state, "acquire run lease", err)
	case !taken:
		outcome, attrs = j.replaceOther(state, tick, holder, policy)
	}
	if outcome != "" {
		j.running.Store(false)
	}
	return outcome, attrs
}

// claimTurn claims a scheduled tick and checks, before it takes a turn, that the job runs it at all: it
// returns an outcome when not (not selected, ran out, excluded, paused).
func (j *job) claimTurn(state *running, tick time.Time, mode runMode) (string, []slog.Attr) {
	if j.ranOut.Load() {
		return outcomeNotSelected, []slog.Attr{slog.String("reason", j.ranOutReason())}
	}
	claimed, outcome, attrs := j.claim(state, tick, mode.catchUp, false)
	if outcome != "" {
		return outcome, attrs
	}
	attrs = append([]slog.Attr{slog.String("selected", claimed.Holder)}, attrs...)
	if !claimed.Previous.IsZero() {
		j.recordGap(state, claimed.Previous, tick)
	}
	if spec := j.spec.exclusion(tick); spec != "" {
		return outcomeExcluded, append(attrs, slog.String("reason", "the tick matches the excluded spec "+strconv.Quote(spec)))
	}
	if note, paused := state.pauseNote(j.spec.Name); paused {
		return outcomePaused, append(attrs, slog.String("reason", pausedReason(j.spec.Name, note)))
	}
	return "", attrs
}

// awaitRunning takes the entry's running flag, waiting while a run of the entry on this process ends
// (one cancelled by the tick, or the last one finishing as the next is taken off the queue): until
// deadline unless zero, until the process stops.
func (j *job) awaitRunning(state *running, deadline time.Time) (string, []slog.Attr) {
	for !j.running.CompareAndSwap(false, true) {
		if !deadline.IsZero() && time.Now().After(deadline) {
			return outcomeSkipped, []slog.Attr{slog.String("reason", "the previous run on this process did not end before the next tick")}
		}
		if !clock.Sleep(state.claims, runningPoll) {
			return outcomeNotRun, []slog.Attr{slog.String("reason", "the process stopped while the tick waited for the previous run on it to end")}
		}
	}
	return "", nil
}
