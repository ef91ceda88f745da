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

// Outcome values of the per-run log line.
const (
	OutcomeOK          = "ok"
	OutcomeError       = "error"
	OutcomePanic       = "panic"
	OutcomeSkipped     = "skipped"      // this entry's previous run on this process was still going
	OutcomeNotSelected = "not_selected" // another process holds the tick, or the tick is closed
)

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
			slog.String("job", j.spec.Command.Name()),
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

// Run runs one tick: it takes the tick, skips it if this entry's previous run is still going, claims it
// for a distributed entry, runs the command and writes one log line.
func (j *job) Run() {
	started := time.Now()
	env := j.scheduler.environment()
	logger := j.entryLogger(env)
	tick, ok := j.ticks.take()
	if !ok { // not reached while robfig/cron calls Next once per started run; never invent a tick
		logger.Error("cron run", "outcome", OutcomeError, "error", "no scheduled tick was recorded for this run; it was not run")
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("tick", tick.Format(time.RFC3339)))
	outcome, commandStarted, extra := j.runTick(env, tick)
	if commandStarted.IsZero() { // the command did not run: lateness is when the tick was handled
		commandStarted = started
	}
	attrs = append(attrs, extra...)
	attrs = append(attrs,
		slog.String("outcome", outcome),
		slog.Float64("late_ms", milliseconds(commandStarted.Sub(tick))),
		slog.Float64("duration_ms", milliseconds(time.Since(started))),
	)
	level := slog.LevelInfo
	if outcome == OutcomeError || outcome == OutcomePanic {
		level = slog.LevelError
	}
	logger.LogAttrs(context.Background(), level, "cron run", attrs...)
}

// runTick returns the outcome, when the command started (zero if it did not) and the attributes that
// explain the outcome.
func (j *job) runTick(env *Environment, tick time.Time) (outcome string, commandStarted time.Time, attrs []slog.Attr) {
	if !j.running.CompareAndSwap(false, true) {
		return OutcomeSkipped, time.Time{}, []slog.Attr{slog.String("reason", "the previous run of this entry is still going")}
	}
	defer j.running.Store(false)
	defer func() { // a panicking backend must not take the process down either
		if recovered := recover(); recovered != nil {
			outcome, attrs = OutcomePanic, []slog.Attr{slog.String("error", fmt.Sprint(recovered))}
		}
	}()
	if j.spec.Type == Distributed {
		selected, err := env.Distributed.ClaimTick(j.scheduler.runContext(), contract.Claim{
			Service: j.spec.ServiceName, AppID: env.AppID, Tick: tick, HoldTime: j.spec.HoldTime,
			Definition: j.spec.Definition(), LiveUntil: j.spec.Next(tick).Add(j.spec.HoldTime),
		})
		switch {
		case errors.Is(err, contract.ErrTickClosed):
			return OutcomeNotSelected, time.Time{}, []slog.Attr{slog.String("selected", ""), slog.String("reason", err.Error())}
		case err != nil:
			return OutcomeError, time.Time{}, []slog.Attr{slog.String("error", "claim tick: "+err.Error())}
		case selected != env.AppID:
			return OutcomeNotSelected, time.Time{}, []slog.Attr{slog.String("selected", selected)}
		}
		attrs = append(attrs, slog.String("selected", selected))
	}
	ctx := context.WithValue(j.scheduler.runContext(), tickKey{}, tick)
	commandStarted = time.Now()
	err := j.scheduler.runner.run(ctx, j.spec.Command)
	var panicked *PanicError
	switch {
	case errors.As(err, &panicked):
		return OutcomePanic, commandStarted, append(attrs, slog.String("error", panicked.Error()), slog.String("stack", panicked.Stack))
	case err != nil:
		return OutcomeError, commandStarted, append(attrs, slog.String("error", err.Error()))
	}
	return OutcomeOK, commandStarted, attrs
}

func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
