package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// timeoutGrace is how long a run that passed its WithTimeout is waited for before it is abandoned.
const timeoutGrace = time.Second

// errKilled is the cause of a run's context cancelled by `cron kill`.
var errKilled = errors.New("killed by `cron kill`")

// The states of an attempt's command run in its own goroutine (runs with a timeout): the goroutine and
// the attempt agree once, by compare-and-swap, who clears the entry's running flag.
const (
	commandRunning   int32 = iota + 1 // the attempt waits for it
	commandReturned                   // it returned in time: the attempt goes on as usual
	commandAbandoned                  // the attempt gave up on it: the goroutine clears the flag on return
)

// attemptResult is what one attempt of a tick gave.
type attemptResult struct {
	outcome        string
	commandStarted time.Time // zero when the command did not start
	attrs          []slog.Attr
}

// attempt runs the command once for tick with the run's context ctx, within the entry's timeout.
func (j *job) attempt(ctx context.Context, state *running, run *activeRun, tick time.Time) attemptResult {
	if timeout := j.spec.options.timeout; timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, timeout)
		defer cancelTimeout()
	}
	var output *runOutput
	var writers []*lineWriter
	if state.output != nil {
		output, writers = state.output.forRun(j.spec.Name, tick)
	}
	if held := j.lease.Load(); held != nil {
		ctx = leaseContext{Context: ctx, held: held}
	}
	started := time.Now()
	run.since.Store(started.UnixNano())
	err, abandoned := j.runCommand(ctx, run, output)
	var attrs []slog.Attr
	if !abandoned {
		for _, writer := range writers {
			if flushErr := writer.Flush(); flushErr != nil {
				attrs = append(attrs, slog.String("output_error", flushErr.Error()))
			}
		}
	}
	outcome, errAttrs := j.runOutcome(state, ctx, err, abandoned)
	return attemptResult{outcome: outcome, commandStarted: started, attrs: append(attrs, errAttrs...)}
}

// runCommand runs the command with ctx. With a timeout or OverlapTerminateOther, it waits at most
// timeoutGrace past ctx's end: then the run is abandoned (abandoned true, run marked so), and the
// command's goroutine clears the entry's running flag when it returns; under OverlapTerminateOther the
// run lease is given back at once.
func (j *job) runCommand(ctx context.Context, run *activeRun, output *runOutput) (err error, abandoned bool) {
	terminates := j.spec.Type == distributed && j.spec.options.overlap == OverlapTerminateOther
	if j.spec.options.timeout == 0 && !terminates {
		return j.scheduler.runner.run(ctx, j.spec.command, output), false
	}
	done := make(chan error, 1)
	run.command.Store(commandRunning)
	go func() {
		err := j.scheduler.runner.run(ctx, j.spec.command, output)
		if !run.command.CompareAndSwap(commandRunning, commandReturned) { // abandoned: the flag is ours
			j.finish(j.scheduler.state.Load())
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err, false
	case <-ctx.Done():
	}
	grace := time.NewTimer(timeoutGrace)
	defer grace.Stop()
	select {
	case err := <-done:
		return err, false
	case <-grace.C:
		if run.command.CompareAndSwap(commandRunning, commandAbandoned) {
			if terminates { // the next tick may start elsewhere; here it waits for the flag
				j.releaseLease(j.scheduler.state.Load())
			}
			return ctx.Err(), true
		}
		return <-done, false // it returned just now
	}
}

// runOutcome classifies the result of a run whose context was ctx.
func (j *job) runOutcome(state *running, ctx context.Context, err error, abandoned bool) (string, []slog.Attr) {
	var panicked *panicError
	var notStarted *notStartedError
	switch {
	case err == nil:
		return outcomeOK, nil
	case errors.As(err, &notStarted):
		return outcomeNotRun, []slog.Attr{slog.String("reason", "the tick was won but its run never started before the drain deadline of the stop"), slog.String("error", err.Error())}
	case errors.As(err, &panicked):
		return outcomePanic, []slog.Attr{slog.String("error", panicked.Error()), slog.String("stack", panicked.stack)}
	case abandoned && errors.Is(context.Cause(ctx), errKilled):
		return outcomeKilled, []slog.Attr{slog.String("reason", killReason(context.Cause(ctx))+"; the command ignored its context for "+
			timeoutGrace.String()+": abandoned, still running"), slog.String("error", err.Error())}
	case errors.Is(context.Cause(ctx), errKilled):
		return outcomeKilled, []slog.Attr{slog.String("reason", killReason(context.Cause(ctx))), slog.String("error", err.Error())}
	case errors.Is(context.Cause(ctx), errLeaseLost):
		return outcomeLeaseLost, []slog.Attr{slog.String("reason", errLeaseLost.Error()+"; the run's context was cancelled"), slog.String("error", err.Error())}
	case state.runs.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return outcomeCanceled, []slog.Attr{slog.String("reason", "the run's context was cancelled at the drain deadline of the stop"), slog.String("error", err.Error())}
	case abandoned:
		return outcomeTimeout, []slog.Attr{slog.String("reason", "the run passed its timeout of "+j.spec.options.timeout.String()+
			" and ignored its context for "+timeoutGrace.String()+": abandoned, still running; the entry's ticks are skipped until it returns"),
			slog.String("error", err.Error())}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return outcomeTimeout, []slog.Attr{slog.String("reason", "the run passed its timeout of "+j.spec.options.timeout.String()), slog.String("error", err.Error())}
	}
	return outcomeError, []slog.Attr{slog.String("error", err.Error())}
}

// retry reports whether attempt's outcome is retried, after waiting its backoff: the entry allows more
// attempts, the run failed (error, panic, timeout), the process is not stopping, and the next attempt
// would start before the entry's next tick.
func (j *job) retry(ctx context.Context, run *activeRun, tick time.Time, attempt int, outcome string) bool {
	options := j.spec.options
	switch {
	case attempt >= options.attempts || run.command.Load() == commandAbandoned:
		return false
	case !failed(outcome):
		return false
	}
	wait := options.backoff << (attempt - 1)
	if next := j.spec.Next(tick); !next.IsZero() && time.Now().Add(wait).After(next) {
		return false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done(): // killed, or Stop's drain deadline
		return false
	}
}
