package memory

import (
	"errors"
	"fmt"

	"github.com/hadeframe/hade/framework/contract"
)

// validateClaim returns claim completed (a zero LiveUntil becomes Tick+HoldTime: the definition is live
// for its own window only), or an error naming what is wrong, in the words every backend uses: an invalid
// service name (contract.ValidateServiceName), an empty app id, a hold time <= 0, a zero tick, a
// definition longer than 1024 bytes, a negative run lease, or a LiveUntil before the tick.
func validateClaim(claim contract.Claim) (contract.Claim, error) {
	if err := contract.ValidateServiceName(claim.Service); err != nil {
		return claim, err
	}
	switch {
	case claim.AppID == "":
		return claim, errors.New("app id is empty: pass the App service's AppID()")
	case claim.HoldTime <= 0:
		return claim, fmt.Errorf("service %q: hold time %s must be positive, e.g. 2s", claim.Service, claim.HoldTime)
	case claim.Tick.IsZero():
		return claim, fmt.Errorf("service %q: tick is the zero time: pass the scheduled fire time", claim.Service)
	case len(claim.Definition) > maxDefinitionLength:
		return claim, fmt.Errorf("service %q: definition is %d bytes long, at most %d are allowed",
			claim.Service, len(claim.Definition), maxDefinitionLength)
	case claim.RunLease < 0:
		return claim, fmt.Errorf("service %q: run lease %s must not be negative (0: no lease)", claim.Service, claim.RunLease)
	}
	if claim.LiveUntil.IsZero() {
		claim.LiveUntil = claim.Tick.Add(claim.HoldTime)
	}
	if claim.LiveUntil.Before(claim.Tick) {
		return claim, fmt.Errorf("service %q: live until %s is before the tick %s: pass the next tick plus the hold time",
			claim.Service, formatTime(claim.LiveUntil), formatTime(claim.Tick))
	}
	return claim, nil
}
