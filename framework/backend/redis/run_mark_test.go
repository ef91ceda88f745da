package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// markRun marks service's tick for holder with backend and fails t on an error.
func markRun(t *testing.T, backend *redisBackend, service, holder string, tick time.Time) bool {
	t.Helper()
	run := contract.RunLease{Service: service, Holder: holder, Tick: tick}
	marked, err := backend.MarkRun(context.Background(), run)
	if err != nil {
		t.Fatalf("MarkRun(%s, %s, %s): %v", service, holder, tick.Format(time.RFC3339Nano), err)
	}
	return marked
}

// TestRedisMarkRunKeyAndMicroseconds: a service's marks are the sorted set <prefix>run-marks:<service>,
// one member "<tick µs>:<holder>" scored by the tick; the same time.Time re-sent (nanoseconds, a monotonic
// reading, another location) is that tick, one a µs later is another; a holder with a colon is told apart
// from another; the key expires MaxAge (the default 30 days) after the mark of a past tick.
func TestRedisMarkRunKeyAndMicroseconds(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	tick := time.Now().Add(-time.Minute)
	for i, c := range []struct {
		holder string
		tick   time.Time
		marked bool
	}{{"app:1", tick, true}, {"app:1", tick.Round(0).In(time.UTC), true}, {"app", tick, false},
		{"app:1:x", tick, false}, {"app", tick.Add(time.Microsecond), true}} {
		if marked := markRun(t, backend, "svc", c.holder, c.tick); marked != c.marked {
			t.Fatalf("call %d: MarkRun(%s) = %t; want %t", i, c.holder, marked, c.marked)
		}
	}
	if keys := client.Keys(ctx, "*").Val(); len(keys) != 1 || keys[0] != "test:run-marks:svc" {
		t.Fatalf("keys %v; want test:run-marks:svc only", keys)
	}
	micros := tick.UnixMicro()
	want := []redis.Z{{Score: float64(micros), Member: fmt.Sprintf("%d:app:1", micros)},
		{Score: float64(micros + 1), Member: fmt.Sprintf("%d:app", micros+1)}}
	marks := client.ZRangeWithScores(ctx, "test:run-marks:svc", 0, -1).Val()
	if fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Fatalf("the marks are %v; want %v", marks, want)
	}
	month := 30 * 24 * time.Hour
	if ttl := client.PTTL(ctx, "test:run-marks:svc").Val(); ttl <= month-time.Minute || ttl > month+time.Second {
		t.Fatalf("the marks have TTL %s; want about %s (the default MaxAge)", ttl, month)
	}
}

// TestRedisMarkRunTrims: with a MaxAge of an hour, the marks of ticks older than that are kept by the mark
// of an earlier tick (other holders are refused), then dropped by the next mark of a later tick, which keeps
// the marks of ticks within the hour; the key expires an hour after the marks of past ticks, and an hour
// after a future tick marked.
func TestRedisMarkRunTrims(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), "test:", historyRetention{MaxAge: time.Hour})
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	now := time.Now()
	old, recent := now.Add(-2*time.Hour), now.Add(-50*time.Minute)
	ttl := func(want time.Duration) {
		t.Helper()
		if got := client.PTTL(ctx, "test:run-marks:svc").Val(); got <= want-time.Minute || got > want+time.Second {
			t.Fatalf("the marks have TTL %s; want about %s", got, want)
		}
	}
	if !markRun(t, backend, "svc", "a", old) || !markRun(t, backend, "svc", "a", old.Add(-time.Hour)) {
		t.Fatal("the marks of two ticks older than MaxAge, the later first, = false; want true")
	}
	if markRun(t, backend, "svc", "b", old) {
		t.Fatal("another holder's mark of the later = true; want false (not dropped by an earlier tick's mark)")
	}
	ttl(time.Hour)
	if !markRun(t, backend, "svc", "a", recent) || !markRun(t, backend, "svc", "b", now) {
		t.Fatal("the marks of two later ticks = false; want true")
	}
	want := []string{fmt.Sprintf("%d:a", recent.UnixMicro()), fmt.Sprintf("%d:b", now.UnixMicro())}
	if marks := client.ZRange(ctx, "test:run-marks:svc", 0, -1).Val(); fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Fatalf("the marks are %v; want %v (those older than MaxAge dropped)", marks, want)
	}
	if !markRun(t, backend, "svc", "a", now.Add(2*time.Hour)) {
		t.Fatal("the mark of a future tick = false; want true")
	}
	ttl(3 * time.Hour)
}

// TestRedisMarkRunWrongType: another type of value at the key is an error naming Redis, the key and
// WRONGTYPE, never an answer; the value is left as it was.
func TestRedisMarkRunWrongType(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	if err := client.Set(ctx, "test:run-marks:svc", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	marked, err := backend.MarkRun(ctx, contract.RunLease{Service: "svc", Holder: "a", Tick: time.Now()})
	if err == nil || marked || !strings.Contains(err.Error(), "redis at") ||
		!strings.Contains(err.Error(), "test:run-marks:svc") || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("MarkRun on a string key = %t, %v; want false and a WRONGTYPE error naming Redis and the key",
			marked, err)
	}
	if value, err := client.Get(ctx, "test:run-marks:svc").Result(); err != nil || value != "x" {
		t.Fatalf("the key holds %q, %v after the failed mark; want x", value, err)
	}
}
