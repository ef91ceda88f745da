// Package alert posts a JSON alert to webhook URLs when a cron job failed, missed ticks, or recovered: a
// observe.Observer that `cron start --alert-webhook URL` adds to the scheduler. It never blocks a run:
// alerts are queued, and a goroutine posts them with a timeout and bounded retries; an alert that cannot
// be delivered is logged and counted (Lost).
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// Defaults of Options' zero fields.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultAttempts  = 3
	DefaultBackoff   = 500 * time.Millisecond
	DefaultQueueSize = 256
)

// Options configures an Alerter.
type Options struct {
	// URLs are the webhooks each alert is posted to: absolute http or https URLs (see CheckURL), at least one.
	URLs []string
	// History is read to tell whether an ok run of a distributed job is a recovery when this process did not
	// handle the job's previous tick (nil: only this process's memory is used).
	History contract.RunHistory
	// Logger receives one line per alert that could not be delivered; nil: slog.Default().
	Logger *slog.Logger
	// Secrets are masked in what is logged (a history error may quote the backend's credentials).
	Secrets []string
	// Timeout bounds each POST (and each history read); 0: DefaultTimeout.
	Timeout time.Duration
	// Attempts is how many POSTs one alert gets per URL on network errors and 5xx or 429 answers; 0:
	// DefaultAttempts.
	Attempts int
	// Backoff is the wait before the second attempt, doubled before each next one; 0: DefaultBackoff.
	Backoff time.Duration
	// QueueSize is how many alerts wait for the sender before new ones are dropped; 0: DefaultQueueSize.
	QueueSize int
}

// Alerter is a observe.Observer that posts alerts to webhooks. Make it with New; Close it after the
// scheduler stopped.
type Alerter struct {
	options   Options
	targets   []target
	client    *http.Client
	transport *http.Transport
	logger    *slog.Logger

	mu     sync.Mutex
	closed bool
	jobs   map[string]*jobMemory // by job name: what this process knows of the job's last verdict

	queue     chan item
	stop      chan struct{} // closed by Close: the sender drains the queue and returns
	done      chan struct{} // closed when the sender returned
	ctx       context.Context
	cancel    context.CancelFunc // ends deliveries: when Close's context ends
	closeOnce sync.Once

	sent, lost atomic.Uint64
}

// item is one piece of work of the sender: an alert to post, or an ok record whose previous verdict is
// read from the history (a recovered alert follows if it failed).
type item struct {
	alert *Payload
	check *record.Run
}

// New returns an Alerter posting to options.URLs, its sender goroutine started. It returns an error
// naming the position of the first URL that CheckURL refuses, or when there is none.
func New(options Options) (*Alerter, error) {
	if len(options.URLs) == 0 {
		return nil, errors.New("alert: no webhook URL given")
	}
	targets := make([]target, 0, len(options.URLs))
	for i, raw := range options.URLs {
		if err := CheckURL(raw); err != nil {
			return nil, fmt.Errorf("alert: webhook URL #%d: %w", i+1, err)
		}
		targets = append(targets, target{url: raw, shown: ShownURL(raw)})
	}
	options = withDefaults(options)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	a := &Alerter{
		options: options, targets: targets, transport: transport, logger: options.Logger,
		client: &http.Client{Transport: transport, Timeout: options.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		jobs:  map[string]*jobMemory{},
		queue: make(chan item, options.QueueSize), stop: make(chan struct{}), done: make(chan struct{}),
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	go a.send()
	return a, nil
}

func withDefaults(options Options) Options {
	if options.Logger == nil {
		options.Logger = slog.Default()
	}
	if options.Timeout <= 0 {
		options.Timeout = DefaultTimeout
	}
	if options.Attempts <= 0 {
		options.Attempts = DefaultAttempts
	}
	if options.Backoff <= 0 {
		options.Backoff = DefaultBackoff
	}
	if options.QueueSize <= 0 {
		options.QueueSize = DefaultQueueSize
	}
	return options
}

// Sent returns how many alerts were delivered, counted once per webhook URL that accepted one (2xx).
func (a *Alerter) Sent() uint64 { return a.sent.Load() }

// Lost returns how many alerts could not be delivered (queue full, retries exhausted, refused, or still
// queued when Close's context ended), counted once per webhook URL that did not get one.
func (a *Alerter) Lost() uint64 { return a.lost.Load() }

// enqueue hands work to the sender without waiting; when the queue is full (or the Alerter is closed)
// the work is dropped, logged and counted as lost for every URL.
func (a *Alerter) enqueue(work item) {
	a.mu.Lock()
	queued := false
	if !a.closed {
		select {
		case a.queue <- work:
			queued = true
		default:
		}
	}
	a.mu.Unlock()
	if !queued {
		reason := "the alert queue is full (the webhooks are slow or down)"
		if work.check != nil {
			reason += "; a possible recovered alert was not checked"
		}
		for _, t := range a.targets {
			a.loss(work.alert, work.check, t, reason)
		}
	}
}

// loss logs and counts one alert (or check) that did not reach t.
func (a *Alerter) loss(alert *Payload, check *record.Run, t target, reason string) {
	a.lost.Add(1)
	attrs := []any{"url", t.shown, "reason", secret.Scrub(reason, a.options.Secrets)}
	switch {
	case alert != nil:
		attrs = append(attrs, "event", alert.Event, "job", alert.Job, "tick", alert.Tick)
	case check != nil:
		attrs = append(attrs, "event", EventRecovered, "job", check.Job, "tick", check.Tick.UTC().Format(time.RFC3339))
	}
	a.logger.Warn("cron alert not delivered", attrs...)
}

// Close stops taking alerts and waits for the sender to post what is queued, until ctx ends: then the
// posts in flight are cancelled and what is left is logged and counted as lost. It returns ctx's error
// when ctx ended first. No goroutine of the Alerter outlives Close. Calling it again returns nil at once.
func (a *Alerter) Close(ctx context.Context) error {
	var err error
	a.closeOnce.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		close(a.stop)
		select {
		case <-a.done:
		case <-ctx.Done():
			err = fmt.Errorf("alert: close: %w", ctx.Err())
			a.cancel()
			<-a.done
		}
		a.cancel()
		a.transport.CloseIdleConnections()
	})
	return err
}
