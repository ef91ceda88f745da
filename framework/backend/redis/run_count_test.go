package redis

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// TestRedisCountRunKeyAndMicroseconds: a service's count is the hash <prefix>run-counts:<service>, never
// expiring, with the tick counted last in µs; the same time.Time re-sent (nanoseconds, a monotonic reading,
// another location) is that tick; one a µs later is another; limit 0 writes nothing.
func TestRedisCountRunKeyAndMicroseconds(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	if count, counted, err := backend.CountRun(ctx, contract.RunLease{Service: "read", Tick: time.Now()}, 0); err != nil || count != 0 || counted {
		t.Fatalf("CountRun(limit 0) = %d, %t, %v; want 0, false", count, counted, err)
	}
	tick := time.Now()
	for i, c := range []struct {
		tick    time.Time
		count   int
		counted bool
	}{{tick, 1, true}, {tick.Round(0).In(time.UTC), 1, true}, {tick.Add(time.Microsecond), 2, true}, {tick.Add(time.Hour), 2, false}} {
		count, counted, err := backend.CountRun(ctx, contract.RunLease{Service: "svc", Tick: c.tick}, 2)
		if err != nil || count != c.count || counted != c.counted {
			t.Fatalf("call %d: CountRun = %d, %t, %v; want %d, %t", i, count, counted, err, c.count, c.counted)
		}
	}
	if keys := client.Keys(ctx, "*").Val(); len(keys) != 1 || keys[0] != "test:run-counts:svc" {
		t.Fatalf("keys %v; want test:run-counts:svc only", keys)
	}
	fields := client.HGetAll(ctx, "test:run-counts:svc").Val()
	if want := tick.Add(time.Microsecond).UnixMicro(); fields["count"] != "2" || fields["last"] != strconv.FormatInt(want, 10) {
		t.Fatalf("the hash holds %v; want count 2 and last %d", fields, want)
	}
	if ttl := client.TTL(ctx, "test:run-counts:svc").Val(); ttl != -1 {
		t.Fatalf("the count has TTL %s; want none (-1)", ttl)
	}
}

// TestRedisCountRunWrongType: another type of value at the key is an error naming the key, and is left.
func TestRedisCountRunWrongType(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	if err := client.Set(context.Background(), "test:run-counts:svc", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err := backend.CountRun(context.Background(), contract.RunLease{Service: "svc", Tick: time.Now()}, 1)
	if err == nil || !strings.Contains(err.Error(), "test:run-counts:svc") || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("CountRun on a string key: %v; want a WRONGTYPE error naming the key", err)
	}
}
