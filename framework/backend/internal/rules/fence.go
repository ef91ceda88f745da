// Package rules holds what every backend of the framework decides the same way, written once in Go: the
// fence rule of a tick's claim, the run lease rule, and the validation of claims, run leases and control
// requests and answers (contract.Claims describes the rules). The Redis claim script and the etcd
// transactions mirror them step for step, and backendtest checks every backend against them.
package rules

import (
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/name"
)

// MaxDefinitionLen bounds Claim.Definition, so a fence stays a small record.
const MaxDefinitionLen = 1024

// Fence is what a backend remembers per service, forever: the latest tick claimed, the app that won it,
// the winner's definition and until when that definition is live (Claim.LiveUntil of the winning claim).
type Fence struct {
	Tick       time.Time
	Winner     string
	Definition string
	LiveUntil  time.Time
}

// Claim decides claim c against the fence f at backend time now, as contract.Claims describes. It
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
// the fence's wins only after the fence's LiveUntil. The Redis claim script (redis/claim.lua) implements
// the same steps.
func (f Fence) Claim(c contract.Claim, now time.Time) (selected string, won bool, err error) {
	held := !f.Tick.IsZero() && !SabotageFence // SabotageFence: test builds only (sabotage_on.go)
	switch {
	case held && c.Tick.Equal(f.Tick) && c.AppID == f.Winner:
		return c.AppID, false, nil
	case held && c.Definition != f.Definition && !now.After(f.LiveUntil):
		return "", false, ConflictError(c, f.Winner, f.Definition, f.LiveUntil)
	case held && c.Tick.Equal(f.Tick):
		return f.Winner, false, nil
	case held && c.Tick.Before(f.Tick):
		return "", false, fmt.Errorf("%w: tick %s is older than the latest claimed tick %s",
			contract.ErrTickClosed, FormatTime(c.Tick), FormatTime(f.Tick))
	case now.Before(c.Tick.Add(-c.HoldTime)) || now.After(c.Tick.Add(c.HoldTime)):
		return "", false, fmt.Errorf("%w: tick %s claimed at %s, outside its hold window of ±%s",
			contract.ErrTickClosed, FormatTime(c.Tick), FormatTime(now), c.HoldTime)
	}
	return c.AppID, true, nil
}

// Previous is what a claim c that moved fence f answers as contract.Claimed.Previous: f's tick when f was
// won with c's definition, else zero.
func (f Fence) Previous(c contract.Claim) time.Time {
	if f.Tick.IsZero() || f.Definition != c.Definition {
		return time.Time{}
	}
	return f.Tick
}

// ConflictError is the wrapped contract.ErrDefinitionConflict refusing c while winner's definition is live.
func ConflictError(c contract.Claim, winner, definition string, liveUntil time.Time) error {
	return fmt.Errorf("%w: service %q: definition %q of app %q is refused because app %q holds the service "+
		"with definition %q, live until %s; give every process of the service the same spec, zone (CRON_TZ "+
		"or the app's cron zone setting) and hold time; the other definition takes over once the holder "+
		"misses its own next tick", contract.ErrDefinitionConflict, c.Service, c.Definition, c.AppID,
		winner, definition, FormatTime(liveUntil))
}

func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ValidateClaim checks a ClaimTick claim in every backend and returns it completed: a zero LiveUntil
// becomes Tick+HoldTime (the definition counts as live for its own hold window only).
func ValidateClaim(c contract.Claim) (contract.Claim, error) {
	if err := validateClaimant(c.Service, c.AppID, c.HoldTime); err != nil {
		return c, err
	}
	if c.Tick.IsZero() {
		return c, fmt.Errorf("service %q: tick is the zero time: pass the scheduled fire time", c.Service)
	}
	if len(c.Definition) > MaxDefinitionLen {
		return c, fmt.Errorf("service %q: definition is %d bytes long, at most %d are allowed",
			c.Service, len(c.Definition), MaxDefinitionLen)
	}
	if c.RunLease < 0 {
		return c, fmt.Errorf("service %q: run lease %s must not be negative (0: no lease)", c.Service, c.RunLease)
	}
	if c.LiveUntil.IsZero() {
		c.LiveUntil = c.Tick.Add(c.HoldTime)
	}
	if c.LiveUntil.Before(c.Tick) {
		return c, fmt.Errorf("service %q: live until %s is before the tick %s: pass the next tick plus the hold time",
			c.Service, FormatTime(c.LiveUntil), FormatTime(c.Tick))
	}
	return c, nil
}

// ValidateClaimant checks a claim's service name, app id and hold time.
func validateClaimant(serviceName, appID string, holdTime time.Duration) error {
	if err := name.ValidateService(serviceName); err != nil {
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
