package etcd

import (
	"context"
	"testing"
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

// leaseClaim claims tick of service for app asking for the run lease (ttl), and returns the answer.
func leaseClaim(t *testing.T, backend contract.Claims, service, app string, tick time.Time, ttl time.Duration) contract.Claimed {
	t.Helper()
	claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: service, AppID: app, Tick: tick,
		HoldTime: 10 * time.Second, Definition: "test", LiveUntil: tick.Add(11 * time.Second), RunLease: ttl})
	if err != nil {
		t.Fatalf("claim of %s by %s: %v", tick.Format(time.RFC3339Nano), app, err)
	}
	return claimed
}

// sameLease reports whether got and want name the same run.
func sameLease(got, want contract.RunLease) bool {
	return got.Holder == want.Holder && got.Tick.Equal(want.Tick)
}
