package scheduler

import (
	"errors"
	"fmt"
	"time"
)

// EntryOption configures one entry at its registration (AddCronCommand, AddDistributedCronCommand), e.g.
// root.AddDistributedCronCommand("report", "0 3 * * *", cmd, 10*time.Second, scheduler.WithTimeout(time.Hour)).
type EntryOption func(*entryOptions)

// entryOptions are the settings EntryOptions make; the zero value is the default of each.
type entryOptions struct {
	name     string        // the job name; empty for the default
	timeout  time.Duration // 0: none
	attempts int           // 0: one
	backoff  time.Duration // before the second attempt; doubled for each next one
	catchUp  time.Duration // 0: off
	errs     []error       // invalid option values, reported as registration errors
}

// WithName names the entry's job: the name its runs are recorded and shown under (`cron list`, `cron
// history`). By default a distributed entry's job is named after its service and a normal entry's after
// its command; a command registered twice needs a name for one of them. Names follow
// contract.ValidateJobName; an invalid or repeated name is a registration error.
func WithName(name string) EntryOption {
	return func(o *entryOptions) { o.name = name }
}

// WithTimeout bounds each run: its context ends timeout after the command starts, and a run that has not
// returned by then ends with outcome "timeout". A command that ignores its context is waited for one more
// second (timeoutGrace), then abandoned: logged and recorded as a timeout, left running, and the entry's
// next ticks are skipped until it returns. timeout <= 0 is a registration error.
func WithTimeout(timeout time.Duration) EntryOption {
	return func(o *entryOptions) {
		if timeout <= 0 {
			o.errs = append(o.errs, fmt.Errorf("WithTimeout(%s): the timeout must be positive, e.g. time.Hour", timeout))
			return
		}
		o.timeout = timeout
	}
}

// WithRetry runs a tick up to attempts times in all while its run fails (error, panic or timeout; not
// when it was killed or the process is stopping), on the process that ran it, waiting backoff before the
// second attempt and twice as long before each next one; an attempt that would start after the entry's
// next tick is not made. Every attempt is logged and recorded with its number. attempts < 1 or backoff < 0
// is a registration error.
func WithRetry(attempts int, backoff time.Duration) EntryOption {
	return func(o *entryOptions) {
		switch {
		case attempts < 1:
			o.errs = append(o.errs, fmt.Errorf("WithRetry(%d, %s): attempts must be at least 1 (1: no retry)", attempts, backoff))
		case backoff < 0:
			o.errs = append(o.errs, fmt.Errorf("WithRetry(%d, %s): the backoff must not be negative, e.g. time.Minute", attempts, backoff))
		default:
			o.attempts, o.backoff = attempts, backoff
		}
	}
}

// WithCatchUp makes a distributed entry catch up after the whole cluster was down over a tick: a starting
// process claims at once the latest tick before its start, if that tick is at most grace old, and runs it
// if it wins; the fence lets it win only if no process claimed that tick or a later one, so the tick runs
// once for the whole cluster (its log line says catch_up). Off by default (grace 0). A negative grace, or
// the option on a normal entry (only the fence knows whether the cluster ran a tick), is a registration
// error.
func WithCatchUp(grace time.Duration) EntryOption {
	return func(o *entryOptions) {
		if grace < 0 {
			o.errs = append(o.errs, fmt.Errorf("WithCatchUp(%s): the grace must not be negative (0: off), e.g. time.Hour", grace))
			return
		}
		o.catchUp = grace
	}
}

// collectOptions applies options in order; err joins the invalid values.
func collectOptions(options []EntryOption) (entryOptions, error) {
	var o entryOptions
	for _, option := range options {
		if option != nil {
			option(&o)
		}
	}
	return o, errors.Join(o.errs...)
}
