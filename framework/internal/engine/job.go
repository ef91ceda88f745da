package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// Outcomes of the per-run log line (its "outcome" key), and their levels.
const (
	outcomeOK          = "ok"           // INFO
	outcomeError       = "error"        // ERROR: the command (or the claim) failed
	outcomePanic       = "panic"        // ERROR
	outcomeSkipped     = "skipped"      // INFO: the previous run of this entry is still going, or (normal entries) the process is stopping
	outcomeNotSelected = "not_selected" // DEBUG: another process holds the tick, or the tick is closed
	outcomeNotClaimed  = "not_claimed"  // INFO: the process is stopping; the tick is left to the other processes
	outcomeCanceled    = "canceled"     // WARN: the run returned its context's error after Stop cancelled it
	outcomeNotRun      = "not_run"      // ERROR: the tick was won but the run could not start before Stop's deadline
	outcomeAbandoned   = "abandoned"    // WARN: logged by Stop for a run still going after the drain deadline and grace
	outcomeMissed      = "missed"       // WARN: ticks skipped because the process was late (stall, suspend, clock jump)
	outcomeTimeout     = "timeout"      // ERROR: the run passed its WithTimeout (and was abandoned if it ignored its context)
	outcomeKilled      = "killed"       // WARN: `cron kill` cancelled the run's context
	outcomePaused      = "paused"       // INFO: the job is paused (`cron pause`)
	outcomeLeaseLost   = "lease_lost"   // ERROR: the run's lease could not be renewed in time: its context was cancelled
	outcomeExcluded    = "excluded"     // INFO: the tick matches a WithExclude spec: not run
)

// RecordedOutcomes lists the outcomes a run record may have: every outcome of the run log line but
// not_selected, which is not recorded.
func RecordedOutcomes() []string {
	return []string{outcomeOK, outcomeError, outcomePanic, outcomeTimeout, outcomeKilled, outcomeLeaseLost,
		outcomeSkipped, outcomePaused, outcomeExcluded, outcomeNotClaimed, outcomeCanceled, outcomeNotRun, outcomeAbandoned, outcomeMissed}
}

// outcomeLevel is the log level of a run line with outcome.
func outcomeLevel(outcome string) slog.Level {
	switch outcome {
	case outcomeNotSelected:
		return slog.LevelDebug
	case outcomeCanceled, outcomeAbandoned, outcomeMissed, outcomeKilled:
		return slog.LevelWarn
	case outcomeError, outcomePanic, outcomeNotRun, outcomeTimeout, outcomeLeaseLost:
		return slog.LevelError
	}
	return slog.LevelInfo
}

type tickKey struct{}

// TickFrom returns the tick (scheduled fire time) of the cron run whose context is ctx, so a job can name
// its output after it (idempotent by scheduled time). ok is false outside a cron run.
func TickFrom(ctx context.Context) (tick time.Time, ok bool) {
	tick, ok = ctx.Value(tickKey{}).(time.Time)
	return tick, ok
}

// job runs the ticks of one entry; it implements cron.Job.
type job struct {
	spec      registration
	ticks     *tickSchedule
	scheduler *Scheduler
	running   atomic.Bool
	waiting   atomic.Int64              // OverlapBufferOne, OverlapBufferAll: ticks waiting, as last seen
	lastHeld  atomic.Int64              // the tick (Unix ns) whose run lease this process took last
	lastTurn  atomic.Int64              // the newest tick (Unix ns) this process took off the queue
	ranOut    atomic.Bool               // WithLimitedRuns: the backend counted the job's last run; claim no more
	lease     atomic.Pointer[heldLease] // the run lease of the entry's run in progress, if it holds one
	unsettled unsettledLeases           // the run leases its claims may have taken unknown to it

	loggerOnce sync.Once
	logger     *slog.Logger // env.Logger with the entry's constant attributes, encoded once

	ctxMu  sync.Mutex
	ctx    context.Context         // the parent of this entry's runs' contexts; nil: make a new one
	cancel context.CancelCauseFunc // ends ctx: `cron kill` (errKilled) or Stop (cancelAll)
}

// runContext returns the context of a run of tick: the runs context's values and the tick, cancelled with
// the entry's other runs by kill or Stop. It does not derive its cancellation from the runs context: 1000
// runs registering with one parent at each tick would contend for its lock. Once Stop cancelled the runs,
// new contexts are cancelled too.
func (j *job) runContext(state *running, tick time.Time) context.Context {
	j.ctxMu.Lock()
	if j.ctx == nil {
		j.ctx, j.cancel = context.WithCancelCause(state.detached)
		if err := state.runs.Err(); err != nil {
			j.cancel(err)
		}
	}
	parent := j.ctx
	j.ctxMu.Unlock()
	return context.WithValue(parent, tickKey{}, tick)
}

// cancelRuns cancels the context of the entry's runs with cause; later runs get a new one.
func (j *job) cancelRuns(cause error) {
	j.ctxMu.Lock()
	defer j.ctxMu.Unlock()
	if j.ctx != nil {
		j.cancel(cause)
		j.ctx = nil
	}
}

// entryLogger returns the logger of this entry's lines: job, type, app_id and, for distributed entries,
// service are attached once.
func (j *job) entryLogger(env *Environment) *slog.Logger {
	j.loggerOnce.Do(func() {
		attrs := []any{
			slog.String("job", j.spec.Name),
			slog.String("type", j.spec.Type),
			slog.String("app_id", env.AppID),
		}
		if j.spec.Type == distributed {
			attrs = append(attrs, slog.String("service", j.spec.ServiceName))
		}
		j.logger = env.Logger.With(attrs...)
	})
	return j.logger
}

// Run runs one scheduled tick (robfig/cron calls it): it takes the tick and handles it.
func (j *job) Run() {
	started := time.Now()
	state := j.scheduler.state.Load()
	tick, ok := j.ticks.take()
	if !ok { // not reached while robfig/cron calls Next once per started run; never invent a tick
		j.entryLogger(state.env).Error("cron run", "outcome", outcomeError, "error", "no scheduled tick was recorded for this run; it was not run")
		return
	}
	j.handle(state, tick, started, runMode{})
}

// handle handles tick: it skips it if the scheduler is stopping or this entry's previous run is still
// going (a backfilled tick waits for that run instead); unless mode is a run request it claims it
// (distributed entries) and skips it while the job is paused; then it runs the command, again while
// attempts fail and the retry policy allows. Each attempt (or the skip) is one log line and one record;
// after the line of a tick not run, the run leases its unsettled claims may have taken are released
// (releaseUnsettled). It returns the last attempt's outcome and its detail (outcomeDetail).
func (j *job) handle(state *running, tick, started time.Time, mode runMode) (outcome, detail string) {
	run := state.begin(j, tick) // nil once Stop has started
	defer func() { state.end(run, outcome) }()
	outcome, attrs := j.admit(state, run, tick, mode)
	if outcome != "" {
		state.settled(j.report(state, tick, 1, outcome, started, time.Time{}, attrs))
		j.releaseUnsettled(state)
		return outcome, outcomeDetail(outcome, attrs)
	}
	defer j.release(state, run)
	ctx := j.runContext(state, tick)
	jitter := j.waitJitter(ctx, state, tick, mode) // every attempt's line and record carry it
	attrs = append(attrs, jitter...)
	for attempt := 1; ; attempt++ {
		result := j.attempt(ctx, state, run, tick)
		rec := j.report(state, tick, attempt, result.outcome, started, result.commandStarted, append(attrs, result.attrs...))
		if !j.retry(ctx, run, tick, attempt, result.outcome) {
			if note := j.pauseOnFailure(state, tick, mode, result); note != "" && rec != nil {
				rec.PauseNote = note
			}
			state.settled(rec)
			return result.outcome, outcomeDetail(result.outcome, result.attrs)
		}
		started, attrs = time.Now(), jitter
	}
}

// admit decides whether tick runs here: it returns an outcome when it does not, else the attributes of
// the claim, with the entry's running flag set (release clears it).
func (j *job) admit(state *running, run *activeRun, tick time.Time, mode runMode) (outcome string, attrs []slog.Attr) {
	attrs = mode.attrs()
	if run == nil {
		outcome, reason := j.stoppingOutcome(mode)
		return outcome, append(attrs, slog.String("reason", reason))
	}
	turns := j.takesTurns(mode)
	if turns { // buffered or replacing: the backend decides when it runs, then it takes the flag
		if outcome, attrs = j.takeTurn(state, tick, mode, attrs); outcome != "" {
			return outcome, attrs
		}
	} else if mode.backfills() { // a past tick: it waits for the entry's run on this process, as for the lease
		if outcome, waitAttrs := j.awaitRunning(state, time.Time{}); outcome != "" {
			return outcome, append(attrs, waitAttrs...)
		}
	} else if !j.running.CompareAndSwap(false, true) {
		return outcomeSkipped, append(attrs, slog.String("reason", "the previous run of this entry is still going"))
	}
	defer func() { // a panicking backend must not take the process down either
		if recovered := recover(); recovered != nil {
			outcome, attrs = outcomePanic, []slog.Attr{slog.String("error", fmt.Sprint(recovered))}
		}
		if outcome != "" {
			j.release(state, run)
		}
	}()
	return j.admitTick(state, tick, mode, turns, attrs)
}

// admitTick is admit's decision once tick holds the entry's running flag (and its lease, if it took a
// turn): it claims a scheduled tick, unless it took a turn, and checks the exclusions, the pause and the
// run count; it returns an outcome when the tick does not run.
func (j *job) admitTick(state *running, tick time.Time, mode runMode, turns bool,
	attrs []slog.Attr) (outcome string, _ []slog.Attr) {
	switch {
	case mode.request != nil && turns:
		return "", attrs
	case mode.request != nil:
		if outcome, leaseAttrs := j.acquire(state, tick, mode); outcome != "" {
			return outcome, append(attrs, leaseAttrs...)
		}
		return "", attrs
	case turns: // takeTurn checked the exclusions before it queued or replaced
	case j.spec.Type == distributed && j.ranOut.Load():
		return outcomeNotSelected, append(attrs, slog.String("reason", j.ranOutReason()))
	default:
		excluded := j.spec.exclusion(tick)
		if j.spec.Type == distributed {
			if outcome, attrs = j.claimToRun(state, tick, mode, attrs, excluded); outcome != "" {
				return outcome, attrs
			}
		}
		if excluded != "" {
			return outcomeExcluded, append(attrs, slog.String("reason", "the tick matches the excluded spec "+strconv.Quote(excluded)))
		}
	}
	if note, paused := state.pauseNote(j.spec.Name); paused {
		return outcomePaused, append(attrs, slog.String("reason", pausedReason(j.spec.Name, note)))
	}
	if outcome, countAttrs := j.countRun(state, tick); outcome != "" {
		return outcome, append(attrs, countAttrs...)
	}
	return "", attrs
}

// stoppingOutcome is the outcome of a tick handled in mode once Stop has begun, and why.
func (j *job) stoppingOutcome(mode runMode) (outcome, reason string) {
	switch {
	case mode.queued != nil: // taken off the queue as the stop began: its lease expires by itself
		return outcomeNotRun, "the process began to stop as the buffered tick's turn came: it was taken off the queue and is not run"
	case j.spec.Type == distributed && mode.request == nil:
		return outcomeNotClaimed, "the process is stopping: the tick was not claimed, so another process can run it"
	}
	return outcomeSkipped, "the process is stopping: runs that had not started when it began are not started"
}

// claimToRun claims tick (its run lease with it under OverlapForbid, unless the job is paused or the tick
// excluded, by the spec excluded names): it returns an outcome when this process must not run the tick,
// and attrs with the claim's.
func (j *job) claimToRun(state *running, tick time.Time, mode runMode, attrs []slog.Attr, excluded string) (string, []slog.Attr) {
	withLease := j.forbidsOverlap() && !state.isPaused(j.spec.Name) && excluded == ""
	sent := time.Now()
	claimed, outcome, claimAttrs := j.claim(state, tick, mode.catchUp, withLease)
	if outcome != "" {
		return outcome, append(attrs, claimAttrs...)
	}
	attrs = append(append(attrs, slog.String("selected", claimed.Holder)), claimAttrs...)
	if !claimed.Previous.IsZero() {
		j.recordGap(state, claimed.Previous, tick)
	}
	if claimed.Busy.Holder != "" {
		if busy, taken := j.recheckBusy(state, tick, claimed.Busy); !taken {
			return outcomeSkipped, append(attrs, busyAttrs(busy)...)
		}
		return "", attrs // recheckBusy holds the lease
	}
	if withLease {
		j.hold(state, contract.RunLease{Service: j.spec.ServiceName, Holder: state.env.AppID, Tick: tick}, sent)
	}
	return "", attrs
}

// release clears the entry's running flag after run, and gives back its run lease, unless run abandoned
// its command: that command's goroutine does both when it returns (see runCommand).
func (j *job) release(state *running, run *activeRun) {
	if run.command.Load() != commandAbandoned {
		j.finish(state)
	}
}

// finish gives back the run lease of the entry's run, if it holds one, then clears its running flag; an
// entry whose ticks wait their turn then takes the next waiting one.
func (j *job) finish(state *running) {
	held := j.releaseLease(state)
	j.running.Store(false)
	if held != nil && j.buffers() {
		j.takeQueued(state, held.lease.Tick)
	}
}

// report writes the log line and the record of one attempt (or skip) of tick, and returns the record (nil
// when nobody receives records or the outcome is not_selected).
func (j *job) report(state *running, tick time.Time, attempt int, outcome string, started, commandStarted time.Time, extra []slog.Attr) *record.Run {
	finished := time.Now()
	lateFrom := commandStarted
	if lateFrom.IsZero() { // the command did not run: lateness is when the tick was handled
		lateFrom = started
	}
	jitter := attrMilliseconds(extra, jitterKey) // lateness is counted from the tick plus its jitter
	lateFrom = lateFrom.Add(-jitter)
	if attrText(extra, originKey) == originBackfill { // late from when the backfill took it up, not its past tick
		lateFrom = tick.Add(lateFrom.Sub(started))
	}
	attrs := make([]slog.Attr, 0, len(extra)+5)
	attrs = append(attrs, slog.String("tick", tick.Format(time.RFC3339)))
	if attempt > 1 {
		attrs = append(attrs, slog.Int("attempt", attempt))
	}
	attrs = append(attrs, extra...)
	attrs = append(attrs,
		slog.String("outcome", outcome),
		slog.Float64("late_ms", milliseconds(lateFrom.Sub(tick))),
		slog.Float64("duration_ms", milliseconds(finished.Sub(started))),
	)
	j.entryLogger(state.env).LogAttrs(context.Background(), outcomeLevel(outcome), "cron run", attrs...)
	if outcome == outcomeNotSelected || (state.recorder == nil && state.env.Observer == nil) {
		return nil
	}
	rec := j.runRecord(state.env, tick, outcome, started, commandStarted, finished, outcomeDetail(outcome, extra))
	rec.Attempt, rec.ClaimResends, rec.Late, rec.Jitter = attempt, attrInt(extra, claimResendsKey), rec.Late-jitter, jitter
	rec.Origin, rec.Waited = attrText(extra, originKey), attrMilliseconds(extra, waitedKey)
	state.record(rec)
	return &rec
}

// claim claims tick through the claims context, with a hold window of ±catchUp around it when catchUp is
// set, else ±hold time, with the run lease when withLease; outcome is empty when this process won it.
// A claim whose reply was lost is settled first (claimTick); attrs then say so; the run lease of one that
// stayed unsettled is left to releaseUnsettled.
func (j *job) claim(state *running, tick time.Time, catchUp time.Duration, withLease bool) (claimed contract.Claimed, outcome string, attrs []slog.Attr) {
	env := state.env
	hold := j.spec.HoldTime
	if catchUp > 0 {
		hold = catchUp
	}
	claim := contract.Claim{Service: j.spec.ServiceName, AppID: env.AppID, Tick: tick, HoldTime: hold,
		Definition: j.spec.Definition(), LiveUntil: tick.Add(hold)} // the last tick (WithEndAt) names no next one
	if next := j.spec.Next(tick); !next.IsZero() {
		claim.LiveUntil = next.Add(j.spec.HoldTime)
	}
	if withLease {
		claim.RunLease = leaseTTL
	}
	sent := time.Now()
	claimed, err, settling := j.claimTick(state, claim)
	if withLease && mayHaveApplied(err, state.claims) {
		j.unsettled.add(contract.RunLease{Service: claim.Service, Holder: claim.AppID, Tick: tick}, sent)
	}
	state.claimed(j.spec.Name, claimResult(err, state.claims.Err(), claimed.Holder == env.AppID))
	outcome, attrs = claimOutcome(state, claimed, err)
	return claimed, outcome, append(attrs, settling.attrs()...)
}

// claimOutcome is the outcome of a claim answered claimed and err: empty when this process won the tick.
func claimOutcome(state *running, claimed contract.Claimed, err error) (string, []slog.Attr) {
	switch {
	case errors.Is(err, contract.ErrTickClosed):
		return outcomeNotSelected, []slog.Attr{slog.String("selected", ""), slog.String("reason", err.Error())}
	case err != nil && state.claims.Err() != nil && errors.Is(err, state.claims.Err()):
		return outcomeNotClaimed, []slog.Attr{slog.String("reason", "the process is stopping: the claim waiting in line was cancelled, so another process can run the tick"), slog.String("error", err.Error())}
	case err != nil:
		return outcomeError, []slog.Attr{slog.String("error", "claim tick: "+err.Error())}
	case claimed.Holder != state.env.AppID:
		return outcomeNotSelected, []slog.Attr{slog.String("selected", claimed.Holder)}
	}
	return "", nil
}

// callFailed is the outcome of a tick whose backend call what failed with err: not_run when the process
// began to stop and so cancelled the call (it may have been applied: its lease, if any, expires by
// itself), else error.
func callFailed(state *running, what string, err error) (string, []slog.Attr) {
	if stopping := state.claims.Err(); stopping != nil && errors.Is(err, stopping) {
		return outcomeNotRun, []slog.Attr{slog.String("reason", "the process began to stop during the call to "+what+
			", which it cancelled: the tick is not run here")}
	}
	return outcomeError, []slog.Attr{slog.String("error", what+": "+err.Error())}
}

func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// pausedReason is the reason of the line of a tick of job skipped while the job is paused with note.
func pausedReason(job, note string) string {
	reason := "the job is paused (cron resume " + job + " resumes it)"
	if note != "" {
		reason += ": " + note
	}
	return reason
}
