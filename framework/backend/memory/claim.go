package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// maxDefinitionLength bounds Claim.Definition, in bytes, as every backend does.
const maxDefinitionLength = 1024

// fence is what the Store remembers per service, forever: the latest tick claimed, the app that won it,
// the winner's definition and LiveUntil, and the Busy answer the winning call got (a re-send gets it too).
type fence struct {
	tick       time.Time
	winner     string
	definition string
	liveUntil  time.Time
	busy       contract.RunLease
}

// ClaimTick implements contract.Claims.ClaimTick by the fence rule, judged by the Store's clock (see
// decideClaim). A zero claim.LiveUntil counts as claim.Tick+claim.HoldTime. It returns an error for an
// invalid claim (see validateClaim), a wrapped contract.ErrTickClosed or contract.ErrDefinitionConflict, a
// wrapped ctx error when ctx has ended, and an error when the client is closed.
func (c *client) ClaimTick(ctx context.Context, claim contract.Claim) (contract.Claimed, error) {
	claim, err := validateClaim(claim)
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
	holder, won, err := current.decide(claim, now)
	if err != nil || holder != claim.AppID {
		return contract.Claimed{Holder: holder}, err
	}
	claimed := contract.Claimed{Holder: holder}
	next := current
	if won {
		next = fence{tick: claim.Tick, winner: claim.AppID, definition: claim.Definition, liveUntil: claim.LiveUntil}
		claimed.Previous = current.previous(claim)
	}
	if claim.RunLease > 0 {
		claimed.Busy = s.leaseForClaim(claim, won, next.busy, now)
	}
	if won {
		next.busy = claimed.Busy
	}
	s.fences[claim.Service] = next
	return claimed, nil
}

// decide decides claim against f at the backend time now. It returns the app id holding claim.Tick and
// whether claim won it (then the fence moves to claim), or a wrapped contract.ErrDefinitionConflict or
// contract.ErrTickClosed. In this order:
//  1. claim.Tick is f's tick and claim.AppID its winner: held by claim.AppID, not won again (a re-sent
//     claim learns that it won, whatever the time);
//  2. f's definition differs from claim's and now is not past f's LiveUntil: conflict, whatever the tick;
//  3. claim.Tick is f's tick: held by f's winner;
//  4. claim.Tick is before f's tick, or now is outside [Tick-HoldTime, Tick+HoldTime]: closed;
//  5. otherwise claim wins.
func (f fence) decide(claim contract.Claim, now time.Time) (holder string, won bool, err error) {
	held := !f.tick.IsZero()
	switch {
	case held && claim.Tick.Equal(f.tick) && claim.AppID == f.winner:
		return claim.AppID, false, nil
	case held && claim.Definition != f.definition && !now.After(f.liveUntil):
		return "", false, conflictError(claim, f)
	case held && claim.Tick.Equal(f.tick):
		return f.winner, false, nil
	case held && claim.Tick.Before(f.tick):
		return "", false, fmt.Errorf("%w: service %q: tick %s is older than the latest claimed tick %s",
			contract.ErrTickClosed, claim.Service, formatTime(claim.Tick), formatTime(f.tick))
	case now.Before(claim.Tick.Add(-claim.HoldTime)) || now.After(claim.Tick.Add(claim.HoldTime)):
		return "", false, fmt.Errorf("%w: service %q: tick %s claimed at %s, outside its claim window of ±%s",
			contract.ErrTickClosed, claim.Service, formatTime(claim.Tick), formatTime(now), claim.HoldTime)
	}
	return claim.AppID, true, nil
}

// previous is contract.Claimed.Previous of a claim that moved f: f's tick when f was won with the claim's
// definition, else zero.
func (f fence) previous(claim contract.Claim) time.Time {
	if f.tick.IsZero() || f.definition != claim.Definition {
		return time.Time{}
	}
	return f.tick
}

// conflictError is the wrapped contract.ErrDefinitionConflict refusing claim while f's definition is live.
func conflictError(claim contract.Claim, f fence) error {
	return fmt.Errorf("%w: service %q: definition %q of app %q is refused because app %q holds the service "+
		"with definition %q, live until %s; give every process of the service the same spec, zone and hold "+
		"time; the other definition takes over once the holder misses its own next tick",
		contract.ErrDefinitionConflict, claim.Service, claim.Definition, claim.AppID, f.winner, f.definition,
		formatTime(f.liveUntil))
}

// formatTime writes t in UTC, RFC 3339 with nanoseconds, for error messages.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
