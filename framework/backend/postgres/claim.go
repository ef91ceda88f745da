package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// ClaimTick implements contract.Claims.ClaimTick in one claim_ticks call, shared with the claims made at
// the same moment; a zero claim.LiveUntil counts as claim.Tick+claim.HoldTime. Besides invalid input,
// contract.ErrTickClosed and contract.ErrDefinitionConflict, it returns:
//   - ctx's error when ctx ends while the claim waits in line, before it is sent;
//   - an error when the backend is closed, or the claim waited longer than one call bound in line;
//   - the last error naming postgres and the server when the call failed (server down, a timeout, a lost
//     reply) and re-sending it, every 75 ms with the same tick and app id, got no answer before
//     claim.Tick+claim.HoldTime, or one call bound before the job's next tick (local clock), or before ctx
//     ended. A re-sent claim that had been applied returns claim.AppID.
//
// Once sent, a claim is answered whatever ctx does, so a won tick is never reported as lost.
func (p *pgBackend) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	c, err := rules.ValidateClaim(c)
	if err != nil {
		return contract.Claimed{}, err
	}
	// the fence keeps µs: a claim compares equal to what it wrote, and Busy names its tick exactly
	c.Tick, c.LiveUntil = time.UnixMicro(c.Tick.UnixMicro()), time.UnixMicro(c.LiveUntil.UnixMicro())
	request := claimqueue.NewRequest[claimEntry, claimAnswer](ctx, c, claimEntry{claim: c}, c.Service, p.callTimeout)
	reply, err := p.queue.Submit(ctx, request, "postgres at "+p.address)
	if err != nil {
		return contract.Claimed{}, err
	}
	return p.result(c, reply)
}

// result turns claim_ticks's answer to c into ClaimTick's.
func (p *pgBackend) result(c contract.Claim, reply claimqueue.Reply[claimAnswer]) (contract.Claimed, error) {
	if reply.Err != nil {
		return contract.Claimed{}, fmt.Errorf("postgres at %s: claim of tick %s of service %q: %w", p.address,
			rules.FormatTime(c.Tick), c.Service, reply.Err)
	}
	answer := reply.Value
	switch answer.code {
	case "won":
		claimed := contract.Claimed{Holder: answer.holder, Previous: answer.previous}
		if answer.busyHolder != "" {
			claimed.Busy = contract.RunLease{Service: c.Service, Holder: answer.busyHolder, Tick: answer.busyTick}
		}
		return claimed, nil
	case "held":
		return contract.Claimed{Holder: answer.holder}, nil
	case "older":
		return contract.Claimed{}, fmt.Errorf("%w: tick %s is older than the latest claimed tick %s",
			contract.ErrTickClosed, rules.FormatTime(c.Tick), rules.FormatTime(answer.fenceTick))
	case "outside":
		return contract.Claimed{}, fmt.Errorf("%w: tick %s claimed at %s by the server's clock, outside its hold "+
			"window of ±%s", contract.ErrTickClosed, rules.FormatTime(c.Tick), rules.FormatTime(answer.now), c.HoldTime)
	case "conflict":
		return contract.Claimed{}, rules.ConflictError(c, answer.holder, answer.definition, answer.liveUntil)
	}
	return contract.Claimed{}, fmt.Errorf("postgres at %s: claim of tick %s of service %q: unexpected answer %q",
		p.address, rules.FormatTime(c.Tick), c.Service, answer.code)
}
