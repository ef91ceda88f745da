package local

import (
	"context"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// claim claims tick for app on service with hold as the window, under one fixed definition, and returns
// the holder.
func claim(backend contract.Claims, service, app string, tick time.Time, hold time.Duration) (string, error) {
	claimed, err := backend.ClaimTick(context.Background(), contract.Claim{
		Service: service, AppID: app, Tick: tick, HoldTime: hold, Definition: "test", LiveUntil: tick.Add(2 * hold),
	})
	return claimed.Holder, err
}

// historyRetention is backend.Retention, for tests whose variables are named backend.
type historyRetention = backend.Retention
