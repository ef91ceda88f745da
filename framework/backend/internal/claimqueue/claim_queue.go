// Package claimqueue batches the claims of a backend: callers queue their requests, one sender goroutine
// sends what waits as one call (a Redis script call, an etcd transaction, a PostgreSQL function call) and
// re-sends the claims whose reply was lost while their hold window is open, and the run lease releases
// within their window. The queue is typed by the backend: T is what a request
// carries to the call (an etcd claim, a Redis script entry), R what the call answers to it.
package claimqueue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// Queue is the group commit the Redis, etcd and PostgreSQL backends share: callers queue requests carrying a T, and
// one sender goroutine takes the requests waiting when its previous call returned (up to maxBatch) and
// passes them to flush, which sends them in one call (or a few), answers each with an R or an error, and
// returns those to send again after retryPause.
type Queue[T, R any] struct {
	requests  chan *Request[T, R] // requests waiting for the sender
	closing   chan struct{}       // closed by Close
	closeOnce sync.Once
	senderEnd chan struct{} // closed when the sender has returned
	maxBatch  int
	flush     func(batch []*Request[T, R]) (retries []*Request[T, R])
}

// New starts the sender of a queue that sends up to maxBatch requests to flush at once (maxBatch > 0);
// Close stops it.
func New[T, R any](maxBatch int, flush func([]*Request[T, R]) []*Request[T, R]) *Queue[T, R] {
	q := &Queue[T, R]{requests: make(chan *Request[T, R], 4*maxBatch), closing: make(chan struct{}),
		senderEnd: make(chan struct{}), maxBatch: maxBatch, flush: flush}
	go q.sendClaims()
	return q
}

// Close stops sending requests (requests waiting fail with ErrClosed) and returns when the sender has
// returned.
func (r *Queue[T, R]) Close() {
	r.closeOnce.Do(func() { close(r.closing) })
	<-r.senderEnd
}

// Answer gives request its reply, value; Fail gives it err instead. The sender calls one of them once
// per request it sent or could not send. Neither blocks: the reply is buffered.
func (q *Request[T, R]) Answer(value R) { q.reply <- Reply[R]{Value: value} }

// Fail gives request err as its reply (see Answer).
func (q *Request[T, R]) Fail(err error) { q.reply <- Reply[R]{Err: err} }

// Enqueue queues request without waiting for its reply, which the caller may read later from Replied
// (a run lease release, re-sent by the sender as flush asks). It returns ErrClosed when the queue is closed.
func (r *Queue[T, R]) Enqueue(request *Request[T, R]) error {
	select {
	case r.requests <- request:
		return nil
	case <-r.closing:
		return ErrClosed
	}
}

// what names q in messages: "claim", or "release" for a run lease release.
func (q *Request[T, R]) what() string {
	if q.release {
		return "release"
	}
	return "claim"
}

// Sent reports whether the sender has taken request from the line.
func (q *Request[T, R]) Sent() bool { return q.state.Load() == stateSent }

// Replied returns the channel request's reply arrives on (buffered, one reply).
func (q *Request[T, R]) Replied() <-chan Reply[R] { return q.reply }

// Len returns the number of requests waiting in line for the sender.
func (r *Queue[T, R]) Len() int { return len(r.requests) }

// Submit queues request for the sender and waits for its reply (see Await); backend names the backend in
// the error when it is closed. The error is for a request never sent; a failed call is the reply's Err.
func (r *Queue[T, R]) Submit(ctx context.Context, request *Request[T, R], backend string) (Reply[R], error) {
	if err := ctx.Err(); err != nil { // a select would pick at random between an ended ctx and a free line
		return Reply[R]{}, fmt.Errorf("service %q: %s not sent: %w", request.service, request.what(), err)
	}
	select {
	case r.requests <- request:
	case <-r.closing:
		return Reply[R]{}, fmt.Errorf("%s: the backend is closed", backend)
	case <-ctx.Done():
		return Reply[R]{}, fmt.Errorf("service %q: %s not sent: %w", request.service, request.what(), ctx.Err())
	}
	return r.Await(ctx, request)
}

// NewRequest returns the request carrying payload for claim c, whose fence is at key: sent within
// timeout of now the first time, and re-sent after a lost reply while c's hold window is open (see
// resendDeadline; timeout is also the bound of one call).
func NewRequest[T, R any](ctx context.Context, c contract.Claim, payload T, key string, timeout time.Duration) *Request[T, R] {
	return &Request[T, R]{ctx: ctx, service: c.Service, Payload: payload, Key: key,
		sendBy: clock.Now().Add(timeout), retryUntil: resendDeadline(c, timeout), reply: make(chan Reply[R], 1)}
}

// ReleaseWindow bounds the re-sends of a run lease release, from its creation: a leader election with a
// split vote on etcd, a Redis or PostgreSQL restart, and the life of the engine's run lease unrenewed
// (past it the lease has ended by itself).
const ReleaseWindow = 5 * time.Second

// NewRelease returns the request carrying payload, the release of a run lease of service, whose fence is
// at key: sent within timeout of now the first time, and re-sent after a failed call while ctx lives,
// within ReleaseWindow of now. A release is guarded by its holder and tick, so applying it twice, or after
// another run took the lease, does nothing: re-sending it is safe, and a lease nobody releases would block
// the service's next ticks (OverlapForbid) until it expires.
func NewRelease[T, R any](ctx context.Context, service string, payload T, key string, timeout time.Duration) *Request[T, R] {
	now := clock.Now()
	return &Request[T, R]{ctx: ctx, service: service, release: true, Payload: payload, Key: key,
		sendBy: now.Add(timeout), retryUntil: now.Add(ReleaseWindow), reply: make(chan Reply[R], 1)}
}

// TakeLive marks the requests of batch sent and returns those to send at now; it skips the requests
// their callers abandoned and fails those that cannot be sent.
func TakeLive[T, R any](batch []*Request[T, R], now time.Time) []*Request[T, R] {
	live := batch[:0]
	for _, request := range batch {
		if request.sends == 0 && !request.state.CompareAndSwap(stateWaiting, stateSent) {
			continue // abandoned by its caller while in line
		}
		if err := request.unsendable(now); err != nil {
			request.Fail(err)
			continue
		}
		request.sends++
		live = append(live, request)
	}
	return live
}

// retryPause is how long a claim whose call failed waits before it joins the next call again.
const retryPause = 75 * time.Millisecond

// States of a Request: waiting in line until the sender takes it or its caller abandons it.
const (
	stateWaiting int32 = iota
	stateSent
	stateAbandoned
)

// ErrClosed is the error of the requests a closed queue did not send.
var ErrClosed = errors.New("the backend was closed")

// Request is one request on its way through the sender: Payload is what the backend sends for it.
type Request[T, R any] struct {
	Payload    T
	Key        string // the fence key (the first of them)
	ctx        context.Context
	service    string        // for messages
	release    bool          // a run lease release (else a claim), for messages
	sendBy     time.Time     // first send only: after it, fail it unsent (it waited too long in line)
	retryUntil time.Time     // re-send only before it, by the local clock: a claim's hold window or next tick, a release's window
	state      atomic.Int32  // stateWaiting, stateSent or stateAbandoned
	reply      chan Reply[R] // buffered: the sender never blocks on it

	// owned by the sender goroutine
	sends   int
	retryAt time.Time
	lastErr error
}

// Reply is the answer to a request: Value, or Err when the request failed (then Value is R's zero).
type Reply[R any] struct {
	Value R
	Err   error
}

// resendDeadline is when re-sending c stops: at the end of its hold window, or one call bound before the
// entry's next tick (LiveUntil - HoldTime) when that comes first, so that a re-send always returns before
// the next tick and an entry never overlaps itself because of re-sends.
func resendDeadline(c contract.Claim, callBound time.Duration) time.Time {
	deadline := c.Tick.Add(c.HoldTime)
	if next := c.LiveUntil.Add(-c.HoldTime); next.After(c.Tick) && next.Add(-callBound).Before(deadline) {
		deadline = next.Add(-callBound) // the next tick is known (a LiveUntil of Tick+HoldTime names none)
	}
	return deadline
}

// Await waits for request's reply. When ctx ends first, a request still waiting in line is abandoned
// (ctx's error); one the sender has taken is answered by the sender, within its retries.
func (r *Queue[T, R]) Await(ctx context.Context, request *Request[T, R]) (Reply[R], error) {
	select {
	case reply := <-request.reply:
		return reply, nil
	case <-ctx.Done():
		if request.state.CompareAndSwap(stateWaiting, stateAbandoned) {
			return Reply[R]{}, fmt.Errorf("service %q: %s not sent: %w", request.service, request.what(), ctx.Err())
		}
	case <-r.senderEnd:
	}
	select {
	case reply := <-request.reply:
		return reply, nil
	case <-r.senderEnd: // it answered every request it took; one queued as it returned is answered here
		select {
		case reply := <-request.reply:
			return reply, nil
		default:
			return Reply[R]{Err: ErrClosed}, nil
		}
	}
}

// unsendable returns why request cannot be sent at now, or nil: a first send that waited longer than a
// call bound in line (its caller waits), or a re-send whose ctx has ended or whose window has closed.
func (q *Request[T, R]) unsendable(now time.Time) error {
	switch {
	case q.sends == 0 && now.After(q.sendBy):
		return errors.New("not sent: it waited longer than one call bound in line behind earlier calls")
	case q.sends > 0 && q.ctx.Err() != nil:
		return q.LastError("ctx ended: " + q.ctx.Err().Error())
	case q.sends > 0 && now.After(q.retryUntil):
		return q.LastError(q.closedReason())
	}
	return nil
}

// closedReason says why q is past its re-sends.
func (q *Request[T, R]) closedReason() string {
	if q.release {
		return fmt.Sprintf("its re-sends' window of %s has passed", ReleaseWindow)
	}
	return "its hold window closes, or the next tick comes, before a re-send could return"
}

// Retry records err, the error of q's last call, and reports whether q is to be sent again: a request
// whose ctx is alive and whose re-sends' deadline, by the local clock, is still ahead after retryPause (a
// claim's: its hold window or one call bound before its next tick; a release's: ReleaseWindow). Claiming
// the same tick again with the same app id is idempotent, so a claim applied whose reply was lost then
// learns that it won; a release is guarded by its holder and tick.
func (q *Request[T, R]) Retry(err error, now time.Time) bool {
	q.lastErr = err
	switch {
	case q.ctx.Err() != nil:
		q.lastErr = q.LastError("ctx ended: " + q.ctx.Err().Error())
	case now.Add(retryPause).After(q.retryUntil):
		q.lastErr = q.LastError(q.closedReason())
	default:
		q.retryAt = now.Add(retryPause)
		return true
	}
	return false
}

// LastError is q's last call error, with how often q was sent and why it is not sent again (reason;
// "": the error alone).
func (q *Request[T, R]) LastError(reason string) error {
	if reason == "" {
		return q.lastErr
	}
	return fmt.Errorf("%w (sends: %d, none answered; not sent again: %s)", q.lastErr, q.sends, reason)
}

// sendClaims is the sender goroutine (group commit): it takes the claims waiting and the re-sends that
// are due, sends them in one call and answers each, until Close; then it fails the claims still waiting.
// A claim whose call failed is kept for a re-send after retryPause; the sender never sleeps on it.
func (r *Queue[T, R]) sendClaims() {
	defer close(r.senderEnd)
	var retries []*Request[T, R]
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	batch := make([]*Request[T, R], 0, r.maxBatch)
	for {
		batch = batch[:0]
		var due <-chan time.Time
		if len(retries) > 0 {
			timer.Reset(earliestRetry(retries).Sub(clock.Now()))
			due = timer.C
		}
		select {
		case first := <-r.requests:
			batch = append(batch, first)
		case <-due:
		case <-r.closing:
			r.failOnClose(retries)
			return
		}
		batch, retries = takeDueRetries(batch, retries, clock.Now(), r.maxBatch)
	gather:
		for len(batch) < r.maxBatch {
			select {
			case request := <-r.requests:
				batch = append(batch, request)
			default:
				break gather
			}
		}
		retries = append(retries, r.flush(batch)...)
	}
}

// failOnClose answers the re-sends pending and the claims waiting in line: the backend is closed.
func (r *Queue[T, R]) failOnClose(retries []*Request[T, R]) {
	for _, request := range retries {
		request.Fail(request.LastError(ErrClosed.Error()))
	}
	for {
		select {
		case request := <-r.requests:
			request.Fail(ErrClosed)
		default:
			return
		}
	}
}

// earliestRetry returns the earliest time a request of retries (not empty) is due to be sent again.
func earliestRetry[T, R any](retries []*Request[T, R]) time.Time {
	earliest := retries[0].retryAt
	for _, request := range retries[1:] {
		if request.retryAt.Before(earliest) {
			earliest = request.retryAt
		}
	}
	return earliest
}

// takeDueRetries moves the re-sends due at now from retries to batch, as room allows.
func takeDueRetries[T, R any](batch, retries []*Request[T, R], now time.Time, maxBatch int) ([]*Request[T, R], []*Request[T, R]) {
	kept := retries[:0]
	for _, request := range retries {
		if len(batch) < maxBatch && !request.retryAt.After(now) {
			batch = append(batch, request)
		} else {
			kept = append(kept, request)
		}
	}
	clear(retries[len(kept):])
	return batch, kept
}

// AnswerAll answers the requests of live, sent in one call: when the call failed (err), each is kept to
// send again if Retry allows, else failed with its last error; otherwise each gets answer(i), its reply in
// the call's answer (or that function's error). It returns the requests to send again.
func AnswerAll[T, R any](live []*Request[T, R], err error, answer func(i int) (R, error)) (retries []*Request[T, R]) {
	for i, request := range live {
		switch {
		case err != nil && request.Retry(err, clock.Now()):
			retries = append(retries, request)
		case err != nil:
			request.Fail(request.LastError(""))
		default:
			if value, answerErr := answer(i); answerErr != nil {
				request.Fail(answerErr)
			} else {
				request.Answer(value)
			}
		}
	}
	return retries
}
