package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
	"github.com/hadeframe/hade/framework/internal/order"
)

// replacePoll is how often a tick that cancelled the previous run (OverlapCancelOther,
// OverlapTerminateOther) asks for the run lease until that run has given it back.
const replacePoll = 100 * time.Millisecond

// killedError is the cause of a run's context cancelled by `cron kill` (reason "") or by the tick that
// replaces it: it is errKilled for the outcome, with the reason its line and record give.
type killedError struct{ reason string }

func (e killedError) Error() string {
	if e.reason == "" {
		return errKilled.Error()
	}
	return e.reason
}

func (e killedError) Is(target error) bool { return target == errKilled }

// killReason is the reason a killed run's line gives: `cron kill`'s, or its replacement's.
func killReason(cause error) string {
	var killed killedError
	if errors.As(cause, &killed) && killed.reason != "" {
		return killed.reason
	}
	return "`cron kill` cancelled the run's context"
}

// replaceOther takes the run lease for tick under policy, OverlapCancelOther or OverlapTerminateOther:
// busy holds it, so the run it names is cancelled wherever it runs (here at once,
// elsewhere by a kill request the processes read at their next heartbeat), and the lease is asked for
// every replacePoll until that run has given it back, at the latest its lease's ttl after its holder
// last renewed it. It returns an outcome when tick does not run here: skipped once the entry's next tick
// came first, not_claimed when the process stops.
func (j *job) replaceOther(state *running, tick time.Time, busy contract.RunLease, policy string) (string, []slog.Attr) {
	if err := j.cancelHolder(state, busy, replaceReason(state, tick, policy)); err != nil {
		return outcomeError, []slog.Attr{slog.String("error", "cancel the previous run: "+err.Error())}
	}
	next := j.spec.Next(tick)
	for {
		holder, taken, _ := j.acquireLease(state, tick) // a failed call is asked again, until the next tick
		if taken {
			return "", []slog.Attr{slog.String("replaced", busy.Holder)}
		}
		if !next.IsZero() && !time.Now().Add(replacePoll).Before(next) {
			return outcomeSkipped, []slog.Attr{slog.String("reason", "the previous run, on process "+busy.Holder+
				", did not end before the next tick (overlap policy "+policy+")"), slog.String("holder", holder.Holder)}
		}
		if !clock.Sleep(state.claims, replacePoll) {
			return outcomeNotClaimed, []slog.Attr{slog.String("reason", "the process is stopping: the previous run was cancelled but this tick never got the run lease")}
		}
	}
}

// replaceReason is the reason of the line of a run cancelled by tick under policy.
func replaceReason(state *running, tick time.Time, policy string) string {
	return fmt.Sprintf("replaced by tick %s on process %s (overlap policy %s)", tick.Format(time.RFC3339),
		state.env.AppID, policy)
}

// cancelHolder cancels busy, the run holding the lease on another process, by a kill request with reason
// for that process. A holder unknown (a run that has ended) needs nothing.
func (j *job) cancelHolder(state *running, busy contract.RunLease, reason string) error {
	if busy.Tick.IsZero() || busy.Holder == state.env.AppID { // rules.UnknownHolder; here: cancelled already
		return nil
	}
	request := order.New(j.spec.Name, order.Kill)
	request.Reason, request.Target = reason, busy.Holder
	ctx, cancel := context.WithTimeout(state.claims, controlCallTimeout)
	defer cancel()
	return order.Add(ctx, state.env.Backend, request)
}

// acquireLease asks once for the run lease for tick, and holds it when it is taken; it returns the
// holder after, and whether that is this process for tick.
func (j *job) acquireLease(state *running, tick time.Time) (holder contract.RunLease, taken bool, err error) {
	lease := contract.RunLease{Service: j.spec.ServiceName, Holder: state.env.AppID, Tick: tick}
	sent := time.Now()
	ctx, cancel := context.WithTimeout(state.claims, controlCallTimeout)
	defer cancel()
	holder, err = state.env.Backend.AcquireRun(ctx, lease, leaseTTL)
	taken = err == nil && holder.Holder == lease.Holder && holder.Tick.Equal(tick)
	if taken {
		j.hold(state, lease, sent)
	}
	return holder, taken, err
}
