package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/contract"
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
)

// RecordedOutcomes lists the outcomes a run record may have: every outcome of the run log line but
// not_selected, which is not recorded.
func RecordedOutcomes() []string {
	return []string{outcomeOK, outcomeError, outcomePanic, outcomeSkipped, outcomeNotClaimed, outcomeCanceled,
		outcomeNotRun, outcomeAbandoned, outcomeMissed}
}

// outcomeLevel is the log level of a run line with outcome.
func outcomeLevel(outcome string) slog.Level {
	switch outcome {
	case outcomeNotSelected:
		return slog.LevelDebug
	case outcomeCanceled, outcomeAbandoned, outcomeMissed:
		return slog.LevelWarn
	case outcomeError, outcomePanic, outcomeNotRun:
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
	spec      CronSpec
	ticks     *tickSchedule
	scheduler *Scheduler
	running   atomic.Bool

	loggerOnce sync.Once
	logger     *slog.Logger // env.Logger with the entry's constant attributes, encoded once
}

// entryLogger returns the logger of this entry's lines: job, type, app_id and, for distributed entries,
// service are attached once.
func (j *job) entryLogger(env *Environment) *slog.Logger {
	j.loggerOnce.Do(func() {
		attrs := []any{
			slog.String("job", j.spec.Name),
			slog.String("type", string(j.spec.Type)),
			slog.String("app_id", env.AppID),
		}
		if j.spec.Type == Distributed {
			attrs = append(attrs, slog.String("service", j.spec.ServiceName))
		}
		j.logger = env.Logger.With(attrs...)
	})
	return j.logger
}

// Run runs one tick: it takes the tick, skips it if this entry's previous run is still going or the
// scheduler is stopping, claims it for a distributed entry, runs the command and writes one log line.
func (j *job) Run() {
	started := time.Now()
	state := j.scheduler.state.Load()
	logger := j.entryLogger(state.env)
	tick, ok := j.ticks.take()
	if !ok { // not reached while robfig/cron calls Next once per started run; never invent a tick
		logger.Error("cron run", "outcome", outcomeError, "error", "no scheduled tick was recorded for this run; it was not run")
		return
	}
	run := state.begin(j, tick) // nil once Stop has started
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("tick", tick.Format(time.RFC3339)))
	outcome, commandStarted, extra := j.runTick(state, run, tick)
	finished := time.Now()
	lateFrom := commandStarted
	if lateFrom.IsZero() { // the command did not run: lateness is when the tick was handled
		lateFrom = started
	}
	attrs = append(attrs, extra...)
	attrs = append(attrs,
		slog.String("outcome", outcome),
		slog.Float64("late_ms", milliseconds(lateFrom.Sub(tick))),
		slog.Float64("duration_ms", milliseconds(finished.Sub(started))),
	)
	logger.LogAttrs(context.Background(), outcomeLevel(outcome), "cron run", attrs...)
	if outcome != outcomeNotSelected {
		state.record(j.runRecord(state.env, tick, outcome, started, commandStarted, finished, errorText(extra)))
	}
	state.end(run, outcome)
}

// runTick returns the outcome, when the command started (zero if it did not) and the attributes that
// explain the outcome. With run nil (the scheduler is stopping) it claims and runs nothing.
func (j *job) runTick(state *running, run *activeRun, tick time.Time) (outcome string, commandStarted time.Time, attrs []slog.Attr) {
	if run == nil {
		if j.spec.Type == Distributed {
			return outcomeNotClaimed, time.Time{}, []slog.Attr{slog.String("reason", "the process is stopping: the tick was not claimed, so another process can run it")}
		}
		return outcomeSkipped, time.Time{}, []slog.Attr{slog.String("reason", "the process is stopping: runs that had not started when it began are not started")}
	}
	if !j.running.CompareAndSwap(false, true) {
		return outcomeSkipped, time.Time{}, []slog.Attr{slog.String("reason", "the previous run of this entry is still going")}
	}
	defer j.running.Store(false)
	defer func() { // a panicking backend must not take the process down either
		if recovered := recover(); recovered != nil {
			outcome, attrs = outcomePanic, []slog.Attr{slog.String("error", fmt.Sprint(recovered))}
		}
	}()
	if j.spec.Type == Distributed {
		claimed, outcome, claimAttrs := j.claim(state, tick)
		if outcome != "" {
			return outcome, time.Time{}, claimAttrs
		}
		attrs = append(attrs, slog.String("selected", claimed.Holder))
		if !claimed.Previous.IsZero() {
			j.recordGap(state, claimed.Previous, tick)
		}
	}
	ctx := context.WithValue(state.runs, tickKey{}, tick)
	var output *runOutput
	var writers []*lineWriter
	if state.output != nil {
		output, writers = state.output.forRun(j.spec.Name, tick)
	}
	commandStarted = time.Now()
	run.since.Store(commandStarted.UnixNano())
	err := j.scheduler.runner.run(ctx, j.spec.Command, output)
	for _, writer := range writers {
		if flushErr := writer.Flush(); flushErr != nil {
			attrs = append(attrs, slog.String("output_error", flushErr.Error()))
		}
	}
	outcome, errAttrs := j.runOutcome(state, err)
	return outcome, commandStarted, append(attrs, errAttrs...)
}

// claim claims tick through the claims context; outcome is empty when this process won it.
func (j *job) claim(state *running, tick time.Time) (claimed contract.Claimed, outcome string, attrs []slog.Attr) {
	env := state.env
	claimed, err := env.Distributed.ClaimTick(state.claims, contract.Claim{
		Service: j.spec.ServiceName, AppID: env.AppID, Tick: tick, HoldTime: j.spec.HoldTime,
		Definition: j.spec.Definition(), LiveUntil: j.spec.Next(tick).Add(j.spec.HoldTime),
	})
	switch {
	case errors.Is(err, contract.ErrTickClosed):
		return claimed, outcomeNotSelected, []slog.Attr{slog.String("selected", ""), slog.String("reason", err.Error())}
	case err != nil && state.claims.Err() != nil && errors.Is(err, state.claims.Err()):
		return claimed, outcomeNotClaimed, []slog.Attr{slog.String("reason", "the process is stopping: the claim waiting in line was cancelled, so another process can run the tick"), slog.String("error", err.Error())}
	case err != nil:
		return claimed, outcomeError, []slog.Attr{slog.String("error", "claim tick: "+err.Error())}
	case claimed.Holder != env.AppID:
		return claimed, outcomeNotSelected, []slog.Attr{slog.String("selected", claimed.Holder)}
	}
	return claimed, "", nil
}

// runOutcome classifies the error of a run.
func (j *job) runOutcome(state *running, err error) (string, []slog.Attr) {
	var panicked *PanicError
	var notStarted *notStartedError
	switch {
	case err == nil:
		return outcomeOK, nil
	case errors.As(err, &notStarted):
		return outcomeNotRun, []slog.Attr{slog.String("reason", "the tick was won but its run never started before the drain deadline of the stop"), slog.String("error", err.Error())}
	case errors.As(err, &panicked):
		return outcomePanic, []slog.Attr{slog.String("error", panicked.Error()), slog.String("stack", panicked.Stack)}
	case state.runs.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return outcomeCanceled, []slog.Attr{slog.String("reason", "the run's context was cancelled at the drain deadline of the stop"), slog.String("error", err.Error())}
	}
	return outcomeError, []slog.Attr{slog.String("error", err.Error())}
}

func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
