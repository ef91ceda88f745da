package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// newClaimRequest returns the request of claim c (its times in µs), re-sent while its hold window is open.
func (r *redisBackend) newClaimRequest(ctx context.Context, c contract.Claim) *scriptRequest {
	entry := scriptEntry{kind: claimEntry, claim: c}
	return claimqueue.NewRequest[scriptEntry, scriptReply](ctx, c, entry, r.FenceKey(c.Service), r.timeout)
}

// newReleaseRequest returns the request releasing lease, re-sent after a failed call within
// claimqueue.ReleaseWindow whatever ctx does.
func (r *redisBackend) newReleaseRequest(ctx context.Context, lease contract.RunLease) *scriptRequest {
	entry := scriptEntry{kind: releaseEntry, lease: lease}
	return claimqueue.NewRelease[scriptEntry, scriptReply](context.WithoutCancel(ctx), lease.Service, entry,
		r.FenceKey(lease.Service), r.timeout)
}

// claim queues c for the sender and returns its result.
func (r *redisBackend) claim(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	// the fence keeps µs: a claim compares equal to what it wrote, and Busy names its tick exactly
	c.Tick, c.LiveUntil = time.UnixMicro(c.Tick.UnixMicro()), time.UnixMicro(c.LiveUntil.UnixMicro())
	request := r.newClaimRequest(ctx, c)
	reply, err := r.queue.Submit(ctx, request, "redis at "+r.address)
	if err != nil {
		return contract.Claimed{}, err
	}
	return r.result(request, reply)
}

// result turns the script's reply to the claim of request into its answer: won (the holder, Previous
// and Busy), held by a holder, or the error of the claim (contract.ErrTickClosed for a tick closed).
func (r *redisBackend) result(request *scriptRequest, reply claimqueue.Reply[scriptReply]) (contract.Claimed, error) {
	c, answer := request.Payload.claim, reply.Value
	tick := c.Tick.UnixMicro()
	if reply.Err != nil {
		return contract.Claimed{}, fmt.Errorf("redis at %s: claim of tick %d (µs) of service %q: %w", r.address, tick, c.Service, reply.Err)
	}
	switch answer.code {
	case codeWon:
		claimed := contract.Claimed{Holder: answer.holder, Previous: answer.previous, Busy: answer.busy}
		if claimed.Busy.Holder != "" {
			claimed.Busy.Service = c.Service
		}
		return claimed, nil
	case codeHeld:
		return contract.Claimed{Holder: answer.holder}, nil
	case codeOlder:
		return contract.Claimed{}, fmt.Errorf("%w: tick %d (µs) is older than the latest claimed tick %s (µs)", contract.ErrTickClosed, tick, answer.text)
	case codeOutsideWindow:
		return contract.Claimed{}, fmt.Errorf("%w: tick %d (µs) claimed at Redis time %s (µs), outside its hold window of ±%s", contract.ErrTickClosed, tick, answer.text, c.HoldTime)
	case codeFailed:
		return contract.Claimed{}, fmt.Errorf("redis at %s: claim of tick %d (µs) of service %q: key %s: %s", r.address, tick, c.Service, request.Key, answer.text)
	case codeConflict:
		return contract.Claimed{}, rules.ConflictError(c, answer.holder, answer.definition, answer.liveUntil)
	}
	return contract.Claimed{}, fmt.Errorf("redis at %s: claim of tick %d (µs) of service %q: unexpected reply code %d", r.address, tick, c.Service, answer.code)
}
