package redis

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// TestRedisQueueRunKeysAndMicroseconds: a service's queue is the hash <prefix>run-queues:<service>, never
// expiring, with the ticks waiting and the newest taken in µs; its lease is the fence's; the same
// time.Time re-sent (nanoseconds, a monotonic reading, another location) is that tick, one a µs later is
// another; max 0 on an empty queue writes nothing.
func TestRedisQueueRunKeysAndMicroseconds(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	tick := time.Now()
	queue := func(holder string, tick time.Time, max int) (contract.RunLease, []time.Time) {
		t.Helper()
		taken, waiting, err := backend.QueueRun(ctx, contract.RunLease{Service: "svc", Holder: holder, Tick: tick}, max, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return taken, waiting
	}
	taken, waiting := queue("a", tick, 0)
	if keys := client.Keys(ctx, "*").Val(); taken.Holder != "" || len(waiting) != 0 || len(keys) != 0 {
		t.Fatalf("max 0 on an empty queue = %+v, %v, keys %v; want free, none waiting, no key", taken, waiting, keys)
	}
	micro := time.UnixMicro(tick.UnixMicro())
	if taken, _ := queue("a", tick, 10); taken.Holder != "a" || !taken.Tick.Equal(micro) {
		t.Fatalf("first tick = %+v; want a holding it, to the µs", taken)
	}
	if taken, _ := queue("a", tick.Round(0).In(time.UTC), 10); taken.Holder != "a" || !taken.Tick.Equal(micro) {
		t.Fatalf("the same tick re-sent = %+v; want the same answer", taken)
	}
	later := micro.Add(time.Microsecond)
	if _, waiting := queue("b", later, 10); len(waiting) != 1 || !waiting[0].Equal(later) {
		t.Fatalf("a tick a µs later = %v waiting; want it", waiting)
	}
	fields := client.HGetAll(ctx, "test:run-queues:svc").Val()
	if fields["waiting"] != strconv.FormatInt(later.UnixMicro(), 10) || fields["taken"] != strconv.FormatInt(micro.UnixMicro(), 10) {
		t.Fatalf("the queue holds %v; want waiting %d and taken %d", fields, later.UnixMicro(), micro.UnixMicro())
	}
	if lease := client.HMGet(ctx, "test:distributed:svc", "rholder", "rtick").Val(); lease[0] != "a" || lease[1] != fields["taken"] {
		t.Fatalf("the fence's lease is %v; want a and the taken tick", lease)
	}
	if ttl := client.TTL(ctx, "test:run-queues:svc").Val(); ttl != -1 {
		t.Fatalf("the queue has TTL %s; want none (-1)", ttl)
	}
}

// TestRedisQueueRunWrongType: another type of value at the queue's key or the fence's is an error naming
// Redis, both keys and WRONGTYPE, never an answer, and nothing is written.
func TestRedisQueueRunWrongType(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	for _, key := range []string{"test:run-queues:svc", "test:distributed:svc"} {
		if err := client.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := client.Set(ctx, key, "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		run := contract.RunLease{Service: "svc", Holder: "a", Tick: time.Now()}
		taken, waiting, err := backend.QueueRun(ctx, run, 10, time.Minute)
		if err == nil || !strings.Contains(err.Error(), "redis at") || !strings.Contains(err.Error(), "test:run-queues:svc") ||
			!strings.Contains(err.Error(), "test:distributed:svc") ||
			!strings.Contains(err.Error(), "WRONGTYPE") || taken != (contract.RunLease{}) || waiting != nil {
			t.Fatalf("QueueRun with a string at %s = %+v, %v, %v; want only a WRONGTYPE error naming Redis and the keys",
				key, taken, waiting, err)
		}
		if keys := client.Keys(ctx, "*").Val(); len(keys) != 1 || keys[0] != key {
			t.Fatalf("keys after the error: %v; want %s only, nothing written", keys, key)
		}
	}
}

// A reply of the run queue script decodes into the holder and the ticks waiting; one not of its shape is
// an error, never an answer.
func TestDecodeRunQueueReply(t *testing.T) {
	tick, next := time.UnixMicro(1_700_000_000_000_001), time.UnixMicro(1_700_000_000_000_002)
	held := contract.RunLease{Service: "svc", Holder: "a", Tick: tick}
	cases := []struct {
		reply   []any
		holder  contract.RunLease
		waiting []time.Time
		wantErr bool
	}{
		{[]any{"a", "1700000000000001", []any{"1700000000000002"}}, held, []time.Time{next}, false},
		{[]any{"", "", []any{}}, contract.RunLease{Service: "svc"}, []time.Time{}, false},
		{[]any{"a", "1700000000000001"}, contract.RunLease{}, nil, true},
		{[]any{"a", "", []any{}}, contract.RunLease{}, nil, true},
		{[]any{"", "1700000000000001", []any{}}, contract.RunLease{}, nil, true},
		{[]any{"a", "soon", []any{}}, contract.RunLease{}, nil, true},
		{[]any{"a", int64(1), []any{}}, contract.RunLease{}, nil, true},
		{[]any{"a", "1700000000000001", []any{"1700000000000002", "x"}}, contract.RunLease{}, nil, true},
		{[]any{"a", "1700000000000001", "1700000000000002"}, contract.RunLease{}, nil, true},
	}
	for _, c := range cases {
		holder, waiting, err := decodeRunQueueReply("svc", c.reply)
		if (err != nil) != c.wantErr || holder != c.holder || !reflect.DeepEqual(waiting, c.waiting) {
			t.Errorf("decode(%#v) = %+v, %v, %v; want %+v, %v (error: %v)", c.reply, holder, waiting, err, c.holder, c.waiting, c.wantErr)
		}
	}
}
