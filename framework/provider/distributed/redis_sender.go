package distributed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

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
	window     bool // a Select claim: the tick is Redis's window; never re-sent
	key        string
	args       [5]any          // the claim's ARGV in the script
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
	value any // a string, or for a conflict []any{winner, definition, live µs}
	err   error
}

func (r *Redis) newClaimRequest(ctx context.Context, c contract.Claim, window bool) *claimRequest {
	request := &claimRequest{
		ctx: ctx, claim: c, window: window, key: r.FenceKey(c.Service),
		sendBy: time.Now().Add(r.timeout), retryUntil: resendDeadline(c, r.timeout), reply: make(chan claimReply, 1),
	}
	tick, live := strconv.FormatInt(c.Tick.UnixMicro(), 10), strconv.FormatInt(c.LiveUntil.UnixMicro(), 10)
	if window {
		tick, live = "window", "0"
	}
	request.args = [5]any{tick, c.AppID, max(c.HoldTime.Microseconds(), 1), c.Definition, live}
	return request
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

// claim queues c for the sender and returns its result.
func (r *Redis) claim(ctx context.Context, c contract.Claim, window bool) (string, error) {
	request := r.newClaimRequest(ctx, c, window)
	select {
	case r.requests <- request:
	case <-r.closing:
		return "", fmt.Errorf("redis at %s: the backend is closed", r.address)
	case <-ctx.Done():
		return "", fmt.Errorf("service %q: claim not sent: %w", c.Service, ctx.Err())
	}
	reply, err := r.await(ctx, request)
	if err != nil {
		return "", err
	}
	return r.result(request, reply)
}

// await waits for request's reply. When ctx ends first, a request still waiting in line is abandoned
// (ctx's error); one the sender has taken is answered by the sender, within its retries.
func (r *Redis) await(ctx context.Context, request *claimRequest) (claimReply, error) {
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

// result turns the script's reply to request into ClaimTick's result.
func (r *Redis) result(request *claimRequest, reply claimReply) (string, error) {
	c, tick := request.claim, request.args[0]
	if reply.err != nil {
		return "", fmt.Errorf("redis at %s: claim of tick %v (µs) of service %q: %w", r.address, tick, c.Service, reply.err)
	}
	value, _ := reply.value.(string)
	switch reply.code {
	case 0, 1:
		return value, nil
	case 2:
		return "", fmt.Errorf("%w: tick %v (µs) is older than the latest claimed tick %s (µs)", contract.ErrTickClosed, tick, value)
	case 3:
		return "", fmt.Errorf("%w: tick %v (µs) claimed at Redis time %s (µs), outside its claim window of ±%s", contract.ErrTickClosed, tick, value, c.HoldTime)
	case 4:
		return "", fmt.Errorf("redis at %s: claim of tick %v (µs) of service %q: key %s: %s", r.address, tick, c.Service, request.key, value)
	case 5:
		if holder, ok := reply.value.([]any); ok && len(holder) == 3 {
			winner, _ := holder[0].(string)
			definition, _ := holder[1].(string)
			live, _ := holder[2].(string)
			liveMicros, err := strconv.ParseInt(live, 10, 64)
			if err == nil {
				return "", conflictError(c, winner, definition, time.UnixMicro(liveMicros))
			}
		}
	}
	return "", fmt.Errorf("redis at %s: unknown claim reply %d, %v", r.address, reply.code, reply.value)
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
		q.lastErr = q.lastError("a Select claim is not re-sent")
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
