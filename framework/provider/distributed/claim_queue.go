package distributed

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

// claimQueue is the group commit the Redis and etcd backends share: callers queue claimRequests, and one
// sender goroutine takes the claims waiting when its previous call returned (up to maxBatch) and passes
// them to flush, which sends them in one call (or a few), answers each, and returns those to send again
// after retryPause.
type claimQueue struct {
	requests  chan *claimRequest // claims waiting for the sender
	closing   chan struct{}      // closed by closeQueue
	closeOnce sync.Once
	senderEnd chan struct{} // closed when the sender has returned
	maxBatch  int
	flush     func(batch []*claimRequest) (retries []*claimRequest)
}

// newClaimQueue starts the sender of a queue; closeQueue stops it.
func newClaimQueue(maxBatch int, flush func([]*claimRequest) []*claimRequest) *claimQueue {
	q := &claimQueue{requests: make(chan *claimRequest, 4*maxBatch), closing: make(chan struct{}),
		senderEnd: make(chan struct{}), maxBatch: maxBatch, flush: flush}
	go q.sendClaims()
	return q
}

// closeQueue stops sending claims (claims waiting fail) and returns when the sender has returned.
func (r *claimQueue) closeQueue() {
	r.closeOnce.Do(func() { close(r.closing) })
	<-r.senderEnd
}

// submit queues request for the sender and waits for its reply (see await); backend names the backend in
// the error when it is closed.
func (r *claimQueue) submit(ctx context.Context, request *claimRequest, backend string) (claimReply, error) {
	select {
	case r.requests <- request:
	case <-r.closing:
		return claimReply{}, fmt.Errorf("%s: the backend is closed", backend)
	case <-ctx.Done():
		return claimReply{}, fmt.Errorf("service %q: claim not sent: %w", request.claim.Service, ctx.Err())
	}
	return r.await(ctx, request)
}

// newRequest returns the request of c, to be sent within timeout of now the first time.
func newRequest(ctx context.Context, c contract.Claim, window bool, key string, timeout time.Duration) *claimRequest {
	return &claimRequest{ctx: ctx, claim: c, window: window, key: key, sendBy: clock.Now().Add(timeout),
		retryUntil: resendDeadline(c, timeout), reply: make(chan claimReply, 1)}
}

// takeLive marks the claims of batch sent and returns those to send at now; it skips the claims their
// callers abandoned and answers those that cannot be sent.
func takeLive(batch []*claimRequest, now time.Time) []*claimRequest {
	live := batch[:0]
	for _, request := range batch {
		if request.sends == 0 && !request.state.CompareAndSwap(stateWaiting, stateSent) {
			continue // abandoned by its caller while in line
		}
		if err := request.unsendable(now); err != nil {
			request.reply <- claimReply{err: err}
			continue
		}
		request.sends++
		live = append(live, request)
	}
	return live
}

// retryPause is how long a claim whose call failed waits before it joins the next call again.
const retryPause = 75 * time.Millisecond

// States of a claimRequest: waiting in line until the sender takes it or its caller abandons it.
const (
	stateWaiting int32 = iota
	stateSent
	stateAbandoned
)

var errBackendClosed = errors.New("the backend was closed")

// claimRequest is one claim on its way through the sender.
type claimRequest struct {
	ctx        context.Context
	claim      contract.Claim
	window     bool            // a Select claim: never re-sent
	key        string          // the fence key (the first of them)
	args       [6]any          // Redis only: the claim's ARGV in the script
	sendBy     time.Time       // first send only: after it, fail it unsent (it waited too long in line)
	retryUntil time.Time       // re-send only before it: the end of the hold window or the next tick, by the local clock
	state      atomic.Int32    // stateWaiting, stateSent or stateAbandoned
	reply      chan claimReply // buffered: the sender never blocks on it

	// owned by the sender goroutine
	sends   int
	retryAt time.Time
	lastErr error
}

type claimReply struct {
	code  int64
	value any // Redis: a string, or for a conflict []any{winner, definition, live µs}; etcd: the fence
	err   error
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

// await waits for request's reply. When ctx ends first, a request still waiting in line is abandoned
// (ctx's error); one the sender has taken is answered by the sender, within its retries.
func (r *claimQueue) await(ctx context.Context, request *claimRequest) (claimReply, error) {
	select {
	case reply := <-request.reply:
		return reply, nil
	case <-ctx.Done():
		if request.state.CompareAndSwap(stateWaiting, stateAbandoned) {
			return claimReply{}, fmt.Errorf("service %q: claim not sent: %w", request.claim.Service, ctx.Err())
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
			return claimReply{err: errBackendClosed}, nil
		}
	}
}

// unsendable returns why request cannot be sent at now, or nil: a first send that waited longer than a
// call bound in line (its caller waits), or a re-send whose ctx has ended or whose window has closed.
func (q *claimRequest) unsendable(now time.Time) error {
	switch {
	case q.sends == 0 && now.After(q.sendBy):
		return errors.New("not sent: it waited longer than one call bound in line behind earlier calls")
	case q.sends > 0 && q.ctx.Err() != nil:
		return q.lastError("ctx ended: " + q.ctx.Err().Error())
	case q.sends > 0 && now.After(q.retryUntil):
		return q.lastError("its hold window has closed, or a re-send could not return before the next tick")
	}
	return nil
}

// retry records err, the error of q's last call, and reports whether q is to be sent again: a claim of
// a tick whose ctx is alive and whose hold window, by the local clock, is still open after retryPause.
// Claiming the same tick again with the same app id is idempotent, so a claim applied whose reply was
// lost then learns that it won.
func (q *claimRequest) retry(err error, now time.Time) bool {
	q.lastErr = err
	switch {
	case q.window:
		q.lastErr = q.lastError("a Select claim or a run lease release is not re-sent")
	case q.ctx.Err() != nil:
		q.lastErr = q.lastError("ctx ended: " + q.ctx.Err().Error())
	case now.Add(retryPause).After(q.retryUntil):
		q.lastErr = q.lastError("its hold window closes, or the next tick comes, before a re-send could return")
	default:
		q.retryAt = now.Add(retryPause)
		return true
	}
	return false
}

// lastError is q's last call error, with how often q was sent and why it is not sent again (reason).
func (q *claimRequest) lastError(reason string) error {
	if reason == "" {
		return q.lastErr
	}
	return fmt.Errorf("%w (sends: %d, none answered; not sent again: %s)", q.lastErr, q.sends, reason)
}

// sendClaims is the sender goroutine (group commit): it takes the claims waiting and the re-sends that
// are due, sends them in one call and answers each, until Close; then it fails the claims still waiting.
// A claim whose call failed is kept for a re-send after retryPause; the sender never sleeps on it.
func (r *claimQueue) sendClaims() {
	defer close(r.senderEnd)
	var retries []*claimRequest
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	batch := make([]*claimRequest, 0, r.maxBatch)
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
func (r *claimQueue) failOnClose(retries []*claimRequest) {
	for _, request := range retries {
		request.reply <- claimReply{err: request.lastError(errBackendClosed.Error())}
	}
	for {
		select {
		case request := <-r.requests:
			request.reply <- claimReply{err: errBackendClosed}
		default:
			return
		}
	}
}

func earliestRetry(retries []*claimRequest) time.Time {
	earliest := retries[0].retryAt
	for _, request := range retries[1:] {
		if request.retryAt.Before(earliest) {
			earliest = request.retryAt
		}
	}
	return earliest
}

// takeDueRetries moves the re-sends due at now from retries to batch, as room allows.
func takeDueRetries(batch, retries []*claimRequest, now time.Time, maxBatch int) ([]*claimRequest, []*claimRequest) {
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
