package redis

import (
	"context"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redisserver"
	"github.com/hadeframe/hade/internal/redistest"
)

// A release made while Redis is down (killed, restarted 500 ms later from its append-only file) fails its
// call and is sent again until Redis answers: the lease is then free for the next tick's claim, not held
// until it expires (here a minute).
func TestRedisReleaseWhileRedisIsDownLandsAfterward(t *testing.T) {
	redistest.Start(t, "") // skips or fails as the other tests when redis-server is missing
	server, err := redisserver.StartPersistent(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	holder, other := newTestRedis(t, server.URL()), newTestRedis(t, server.URL())
	tick := time.UnixMicro(time.Now().UnixMicro())
	first := contract.Claim{Service: "svc", AppID: "a", Tick: tick, HoldTime: time.Minute, Definition: "test",
		LiveUntil: tick.Add(2 * time.Minute), RunLease: time.Minute}
	if got, err := holder.ClaimTick(context.Background(), first); err != nil || got.Holder != "a" || got.Busy.Holder != "" {
		t.Fatalf("claim = %+v, %v; want won by a with the lease", got, err)
	}
	server.Kill()
	if err := holder.ReleaseRun(context.Background(), contract.RunLease{Service: "svc", Holder: "a", Tick: tick}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the release's calls fail (connection refused); re-sent every 75 ms
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := holder.awaitRelease(context.Background(), "svc"); err != nil {
		t.Fatal(err)
	}
	next := first
	next.AppID, next.Tick = "b", tick.Add(time.Second)
	if got, err := other.ClaimTick(context.Background(), next); err != nil || got.Holder != "b" || got.Busy.Holder != "" {
		t.Fatalf("claim of the next tick after the release = %+v, %v; want won by b with the lease", got, err)
	}
}
