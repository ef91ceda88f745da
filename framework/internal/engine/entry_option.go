package engine

import (
	"errors"
	"fmt"
	"time"
)

// EntryOption configures one entry at its registration (AddCronCommand, AddDistributedCronCommand). Package
// scheduler offers each option to applications under the same name, and documents it.
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

// OverlapPolicy is scheduler.OverlapPolicy, which documents each policy.
type OverlapPolicy int

const (
	// OverlapForbid is the default.
	OverlapForbid OverlapPolicy = iota
	OverlapAllow
)

// WithOverlap makes the option scheduler.WithOverlap documents.
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
