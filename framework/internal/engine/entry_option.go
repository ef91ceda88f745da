package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/internal/order"
)

// EntryOption configures one entry at its registration (AddCronCommand, AddDistributedCronCommand). Package
// scheduler offers each option to applications under the same name, and documents it.
type EntryOption func(*entryOptions)

// entryOptions are the settings EntryOptions make; the zero value is the default of each.
type entryOptions struct {
	name           string        // the job name; empty for the default
	timeout        time.Duration // 0: none
	attempts       int           // 0: one
	backoff        time.Duration // before the second attempt; doubled for each next one
	catchUp        time.Duration // 0: off
	overlap        OverlapPolicy
	jitter         time.Duration // 0: none; else each scheduled tick's run starts jitterOf(job, tick) later
	startAt        time.Time     // zero: no start; else no tick before it
	endAt          time.Time     // zero: no end; else no tick at or after it
	exclude        []string      // specs whose ticks do not run (outcome excluded)
	pauseOnFailure bool          // a scheduled tick that failed after its retries pauses the job
	limit          int           // WithLimitedRuns: at most this many runs of the service, ever; 0: no limit
	errs           []error       // invalid option values, reported as registration errors
}

// WithName makes the option scheduler.WithName documents.
func WithName(name string) EntryOption {
	return func(o *entryOptions) { o.name = name }
}

// WithTimeout makes the option scheduler.WithTimeout documents.
func WithTimeout(timeout time.Duration) EntryOption {
	return func(o *entryOptions) {
		if timeout <= 0 {
			o.errs = append(o.errs, fmt.Errorf("WithTimeout(%s): the timeout must be positive, e.g. time.Hour", timeout))
			return
		}
		o.timeout = timeout
	}
}

// WithRetry makes the option scheduler.WithRetry documents.
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

// WithCatchUp makes the option scheduler.WithCatchUp documents.
func WithCatchUp(grace time.Duration) EntryOption {
	return func(o *entryOptions) {
		if grace < 0 {
			o.errs = append(o.errs, fmt.Errorf("WithCatchUp(%s): the grace must not be negative (0: off), e.g. time.Hour", grace))
			return
		}
		o.catchUp = grace
	}
}

// WithJitter makes the option scheduler.WithJitter documents; the registration checks max against the
// entry's interval.
func WithJitter(max time.Duration) EntryOption {
	return func(o *entryOptions) {
		if max <= 0 {
			o.errs = append(o.errs, fmt.Errorf("WithJitter(%s): the jitter must be positive, e.g. 30*time.Second", max))
			return
		}
		o.jitter = max
	}
}

// WithStartAt makes the option scheduler.WithStartAt documents.
func WithStartAt(start time.Time) EntryOption {
	return func(o *entryOptions) {
		if start.IsZero() {
			o.errs = append(o.errs, errors.New("WithStartAt(the zero time): the start must be a time, e.g. time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)"))
			return
		}
		o.startAt = start
	}
}

// WithEndAt makes the option scheduler.WithEndAt documents; collectOptions checks it against the start.
func WithEndAt(end time.Time) EntryOption {
	return func(o *entryOptions) {
		if end.IsZero() {
			o.errs = append(o.errs, errors.New("WithEndAt(the zero time): the end must be a time, e.g. time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)"))
			return
		}
		o.endAt = end
	}
}

// WithExclude makes the option scheduler.WithExclude documents; the registration parses the specs.
func WithExclude(specs ...string) EntryOption {
	return func(o *entryOptions) {
		if len(specs) == 0 {
			o.errs = append(o.errs, errors.New(`WithExclude(): name at least one spec, e.g. WithExclude("0 0 25 12 *")`))
			return
		}
		o.exclude = append(o.exclude, specs...)
	}
}

// WithLimitedRuns makes the option scheduler.WithLimitedRuns documents.
func WithLimitedRuns(n int) EntryOption {
	return func(o *entryOptions) {
		if n < 1 {
			o.errs = append(o.errs, fmt.Errorf("WithLimitedRuns(%d): the number of runs must be at least 1", n))
			return
		}
		o.limit = n
	}
}

// WithPauseOnFailure makes the option scheduler.WithPauseOnFailure documents.
func WithPauseOnFailure() EntryOption {
	return func(o *entryOptions) { o.pauseOnFailure = true }
}

// OverlapPolicy is scheduler.OverlapPolicy, which documents each policy.
type OverlapPolicy int

const (
	// OverlapForbid is the default.
	OverlapForbid OverlapPolicy = iota
	OverlapAllow
	OverlapBufferOne
	OverlapBufferAll
	OverlapCancelOther
	OverlapTerminateOther
)

// overlapNames are the policies' names, as `cron list` shows them and `cron run --overlap` takes them.
var overlapNames = [...]string{OverlapForbid: order.OverlapForbid, OverlapAllow: order.OverlapAllow,
	OverlapBufferOne: order.OverlapBufferOne, OverlapBufferAll: order.OverlapBufferAll,
	OverlapCancelOther: order.OverlapCancelOther, OverlapTerminateOther: order.OverlapTerminateOther}

// String names the policy as `cron list` shows it: "forbid", "allow", "buffer_one", "buffer_all",
// "cancel_other" or "terminate_other".
func (p OverlapPolicy) String() string {
	if p < 0 || int(p) >= len(overlapNames) {
		return fmt.Sprintf("OverlapPolicy(%d)", int(p))
	}
	return overlapNames[p]
}

// WithOverlap makes the option scheduler.WithOverlap documents.
func WithOverlap(policy OverlapPolicy) EntryOption {
	return func(o *entryOptions) {
		if policy < 0 || int(policy) >= len(overlapNames) {
			o.errs = append(o.errs, fmt.Errorf("WithOverlap(%d): unknown policy, want one of scheduler.OverlapForbid, "+
				"OverlapAllow, OverlapBufferOne, OverlapBufferAll, OverlapCancelOther or OverlapTerminateOther", policy))
			return
		}
		o.overlap = policy
	}
}

// forbidsOverlap reports whether the entry's runs hold the service's run lease: every policy but
// OverlapAllow, on distributed entries.
func (j *job) forbidsOverlap() bool {
	return j.spec.Type == distributed && j.spec.options.overlap != OverlapAllow
}

// buffers reports whether the entry's ticks wait in the backend's queue while its previous run goes on.
func (j *job) buffers() bool {
	overlap := j.spec.options.overlap
	return j.spec.Type == distributed && (overlap == OverlapBufferOne || overlap == OverlapBufferAll)
}

// collectOptions applies options in order; err joins the invalid values.
func collectOptions(options []EntryOption) (entryOptions, error) {
	var o entryOptions
	for _, option := range options {
		if option != nil {
			option(&o)
		}
	}
	if !o.startAt.IsZero() && !o.endAt.IsZero() && !o.endAt.After(o.startAt) {
		o.errs = append(o.errs, fmt.Errorf("WithEndAt(%s) is not after WithStartAt(%s): no tick could run",
			o.endAt.Format(time.RFC3339Nano), o.startAt.Format(time.RFC3339Nano)))
	}
	return o, errors.Join(o.errs...)
}
