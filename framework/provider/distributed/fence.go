// Package distributed provides the Distributed service: the selection of one process per tick of a
// service, through a backend shared by the processes. The backend is chosen by name (see Provider).
package distributed

import (
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// selectDefinition is the definition of every Select claim: Select callers share a service by name only.
const selectDefinition = "select"

// maxDefinitionLen bounds Claim.Definition, so a fence stays a small record.
const maxDefinitionLen = 1024

// fence is what a backend remembers per service, forever: the latest tick claimed, the app that won it,
// the winner's definition and until when that definition is live (Claim.LiveUntil of the winning claim).
type fence struct {
	Tick       time.Time
	Winner     string
	Definition string
	LiveUntil  time.Time
}

// claim decides claim c against the fence f at backend time now, as contract.Distributed describes. It
// returns the app id holding c.Tick, whether c won it (then the fence becomes c's), or a wrapped
// contract.ErrDefinitionConflict or contract.ErrTickClosed. The checks, in this order:
//  1. c.Tick is the fence's tick and c.AppID its winner: c.AppID, not won again (a re-sent claim learns
//     that it won; no window check, so a late re-send still learns it);
//  2. the fence's definition differs from c's and now <= the fence's LiveUntil: conflict (whatever the
//     tick, so both sides of a rolling deploy hear of it as early as possible);
//  3. c.Tick is the fence's tick: the winner's id (held by another app);
//  4. c.Tick is before the fence's tick: ErrTickClosed;
//  5. now outside [c.Tick-c.HoldTime, c.Tick+c.HoldTime]: ErrTickClosed;
//  6. otherwise c wins.
//
// Only step 6 moves the fence, to a later tick: a tick is won at most once, and a definition other than
// the fence's wins only after the fence's LiveUntil. The Redis claim script (redis_claim.lua) implements
// the same steps.
func (f fence) claim(c contract.Claim, now time.Time) (selected string, won bool, err error) {
	held := !f.Tick.IsZero() && !sabotageFence // sabotageFence: test builds only (sabotage_on.go)
	switch {
	case held && c.Tick.Equal(f.Tick) && c.AppID == f.Winner:
		return c.AppID, false, nil
	case held && c.Definition != f.Definition && !now.After(f.LiveUntil):
		return "", false, conflictError(c, f.Winner, f.Definition, f.LiveUntil)
	case held && c.Tick.Equal(f.Tick):
		return f.Winner, false, nil
	case held && c.Tick.Before(f.Tick):
		return "", false, fmt.Errorf("%w: tick %s is older than the latest claimed tick %s",
			contract.ErrTickClosed, formatTime(c.Tick), formatTime(f.Tick))
	case now.Before(c.Tick.Add(-c.HoldTime)) || now.After(c.Tick.Add(c.HoldTime)):
		return "", false, fmt.Errorf("%w: tick %s claimed at %s, outside its claim window of ±%s",
			contract.ErrTickClosed, formatTime(c.Tick), formatTime(now), c.HoldTime)
	}
	return c.AppID, true, nil
}

// previous is what a claim c that moved fence f answers as contract.Claimed.Previous: f's tick when f was
// won with c's definition, else zero.
func (f fence) previous(c contract.Claim) time.Time {
	if f.Tick.IsZero() || f.Definition != c.Definition {
		return time.Time{}
	}
	return f.Tick
}

// conflictError is the wrapped contract.ErrDefinitionConflict refusing c while winner's definition is live.
func conflictError(c contract.Claim, winner, definition string, liveUntil time.Time) error {
	return fmt.Errorf("%w: service %q: definition %q of app %q is refused because app %q holds the service "+
		"with definition %q, live until %s; give every process of the service the same spec, zone (CRON_TZ "+
		"or the app's cron zone setting) and hold time; the other definition takes over once the holder "+
		"misses its own next tick", contract.ErrDefinitionConflict, c.Service, c.Definition, c.AppID,
		winner, definition, formatTime(liveUntil))
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// validateClaim checks a ClaimTick claim in every backend and returns it completed: a zero LiveUntil
// becomes Tick+HoldTime (the definition counts as live for its own claim window only).
func validateClaim(c contract.Claim) (contract.Claim, error) {
	if err := validateSelect(c.Service, c.AppID, c.HoldTime); err != nil {
		return c, err
	}
	if c.Tick.IsZero() {
		return c, fmt.Errorf("service %q: tick is the zero time: pass the scheduled fire time", c.Service)
	}
	if len(c.Definition) > maxDefinitionLen {
		return c, fmt.Errorf("service %q: definition is %d bytes long, at most %d are allowed",
			c.Service, len(c.Definition), maxDefinitionLen)
	}
	if c.RunLease < 0 {
		return c, fmt.Errorf("service %q: run lease %s must not be negative (0: no lease)", c.Service, c.RunLease)
	}
	if c.LiveUntil.IsZero() {
		c.LiveUntil = c.Tick.Add(c.HoldTime)
	}
	if c.LiveUntil.Before(c.Tick) {
		return c, fmt.Errorf("service %q: live until %s is before the tick %s: pass the next tick plus the hold time",
			c.Service, formatTime(c.LiveUntil), formatTime(c.Tick))
	}
	return c, nil
}

// validateSelect checks the arguments of Select in every backend.
func validateSelect(serviceName, appID string, holdTime time.Duration) error {
	if err := contract.ValidateServiceName(serviceName); err != nil {
		return err
	}
	if appID == "" {
		return errors.New("app id is empty: pass the App service's AppID()")
	}
	if holdTime <= 0 {
		return fmt.Errorf("service %q: hold time %s must be positive, e.g. 2s", serviceName, holdTime)
	}
	return nil
}

// selectClaim is the claim Select makes at tick (the window start): the fixed select definition, live
// for the window and the next one.
func selectClaim(serviceName, appID string, tick time.Time, holdTime time.Duration) contract.Claim {
	return contract.Claim{Service: serviceName, AppID: appID, Tick: tick, HoldTime: holdTime,
		Definition: selectDefinition, LiveUntil: tick.Add(2 * holdTime)}
}

// windowTick returns the tick Select claims at now: now truncated to a multiple of holdTime since the
// Unix epoch.
func windowTick(now time.Time, holdTime time.Duration) time.Time {
	return time.Unix(0, floorMultiple(now.UnixNano(), holdTime.Nanoseconds()))
}

// floorMultiple returns the largest multiple of step that is <= n (step > 0).
func floorMultiple(n, step int64) int64 {
	remainder := n % step
	if remainder < 0 {
		remainder += step
	}
	return n - remainder
}
