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
	overlap  OverlapPolicy
	errs     []error // invalid option values, reported as registration errors
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

// OverlapPolicy says whether a tick of a distributed entry may run while the job's previous run still goes
// on, on any process (see WithOverlap).
type OverlapPolicy int

const (
	// OverlapForbid (the default): a tick is skipped (outcome skipped, naming the process that still runs
	// the previous run) while the previous run of the job holds the service's run lease. The lease is
	// taken with the tick's claim, renewed every second by its holder and given back when the run ends; a
	// holder that cannot renew it ends its run (outcome lease_lost) before another process can take it.
	OverlapForbid OverlapPolicy = iota
	// OverlapAllow: every tick runs on the process that wins it, whatever runs elsewhere.
	OverlapAllow
)

// WithOverlap sets a distributed entry's overlap policy: OverlapForbid (the default) or OverlapAllow. A
// process never runs two runs of one entry at once, whatever the policy (the later tick is skipped). An
// unknown policy is a registration error.
func WithOverlap(policy OverlapPolicy) EntryOption {
	return func(o *entryOptions) {
		if policy != OverlapForbid && policy != OverlapAllow {
			o.errs = append(o.errs, fmt.Errorf("WithOverlap(%d): the policy must be scheduler.OverlapForbid or scheduler.OverlapAllow", policy))
			return
		}
		o.overlap = policy
	}
}

// forbidsOverlap reports whether the entry's runs hold the service's run lease.
func (j *job) forbidsOverlap() bool {
	return j.spec.Type == distributed && j.spec.options.overlap == OverlapForbid
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
