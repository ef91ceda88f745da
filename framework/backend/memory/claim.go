package memory

import (
	"context"
	"fmt"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// ClaimTick implements contract.Claims.ClaimTick by the fence rule every backend runs (rules.Fence.Claim),
// judged by the Store's clock; a claim asking for the run lease gets it, or Busy, by rules.Lease.ForClaim.
// A zero claim.LiveUntil counts as claim.Tick+claim.HoldTime. It returns an error for an invalid claim
// (see rules.ValidateClaim), a wrapped contract.ErrTickClosed or contract.ErrDefinitionConflict, a wrapped
// ctx error when ctx has ended, and an error when the client is closed.
func (c *client) ClaimTick(ctx context.Context, claim contract.Claim) (contract.Claimed, error) {
	claim, err := rules.ValidateClaim(claim)
	if err != nil {
		return contract.Claimed{}, err
	}
	if err := c.begin(ctx, fmt.Sprintf("service %q: claim", claim.Service)); err != nil {
		return contract.Claimed{}, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	current := s.fences[claim.Service]
	holder, won, err := current.Claim(claim, now)
	if err != nil || holder != claim.AppID {
		return contract.Claimed{Holder: holder}, err
	}
	claimed := contract.Claimed{Holder: holder}
	if won {
		s.fences[claim.Service] = rules.Fence{Tick: claim.Tick, Winner: claim.AppID, Definition: claim.Definition,
			LiveUntil: claim.LiveUntil}
		claimed.Previous = current.Previous(claim)
	}
	if claim.RunLease > 0 {
		lease := s.leases[claim.Service]
		var next rules.Lease
		next, claimed.Busy = lease.ForClaim(claim, won, now)
		if next != lease {
			s.leases[claim.Service] = next
		}
	}
	return claimed, nil
}
