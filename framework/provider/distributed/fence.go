// Package distributed provides the Distributed service: the selection of one process per tick of a
// service, through a backend shared by the processes. The backend is chosen by name (see Provider).
package distributed

import (
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// fence is what a backend remembers per service: the latest tick claimed and the app that won it.
type fence struct {
	Tick   time.Time
	Winner string
}

// claim decides a claim of tick by appID against the fence f at backend time now, as the
// contract.Distributed guarantee describes. It returns the app id holding tick, whether this claim won it
// (then the fence moves to fence{tick, appID}), and a wrapped contract.ErrTickClosed when the tick can no
// longer be claimed.
func (f fence) claim(appID string, tick, now time.Time, holdTime time.Duration) (selected string, won bool, err error) {
	if !f.Tick.IsZero() {
		if tick.Equal(f.Tick) {
			return f.Winner, false, nil
		}
		if tick.Before(f.Tick) {
			return "", false, fmt.Errorf("%w: tick %s is older than the latest claimed tick %s",
				contract.ErrTickClosed, tick.Format(time.RFC3339Nano), f.Tick.Format(time.RFC3339Nano))
		}
	}
	if now.Before(tick.Add(-holdTime)) || now.After(tick.Add(holdTime)) {
		return "", false, fmt.Errorf("%w: tick %s claimed at %s, outside its claim window of ±%s",
			contract.ErrTickClosed, tick.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), holdTime)
	}
	return appID, true, nil
}

// validateClaim checks the arguments of ClaimTick in every backend.
func validateClaim(serviceName, appID string, tick time.Time, holdTime time.Duration) error {
	if err := validateSelect(serviceName, appID, holdTime); err != nil {
		return err
	}
	if tick.IsZero() {
		return fmt.Errorf("service %q: tick is the zero time: pass the scheduled fire time", serviceName)
	}
	return nil
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
