package etcd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestEtcdCountRunKeyAndMicroseconds: a service's count is the key <prefix>run-counts/<service>, without
// a lease, "<count>/<tick in µs>"; the same time.Time re-sent (nanoseconds, a monotonic reading, another
// location) is the tick counted last, one a µs later another; a malformed value is an error naming the key.
func TestEtcdCountRunKeyAndMicroseconds(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newEtcdStore(t, cluster, historyRetention{})()
	ctx := context.Background()
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
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	key := backend.prefix + "run-counts/svc"
	response, err := client.Get(ctx, backend.prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if want := "2/" + encodeMicros(tick.Add(time.Microsecond)); len(response.Kvs) != 1 || string(response.Kvs[0].Key) != key ||
		string(response.Kvs[0].Value) != want || response.Kvs[0].Lease != 0 {
		t.Fatalf("keys %v; want %s = %s only, without a lease", response.Kvs, key, want)
	}
	if _, err := client.Put(ctx, key, "2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := backend.CountRun(ctx, contract.RunLease{Service: "svc", Tick: tick}, 0); err == nil || !strings.Contains(err.Error(), key) {
		t.Fatalf("CountRun on a malformed value: %v; want an error naming %s", err, key)
	}
}

// TestEtcdCountRunLostRace: a put decided on a count read before another client counted is not applied,
// and answers the key as it is now, which CountRun decides again.
func TestEtcdCountRunLostRace(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	slow, fast := open(), open()
	ctx := context.Background()
	tick := time.UnixMicro(time.Now().UnixMicro())
	client, err := slow.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	key := slow.runCountKey("svc")
	read, err := slow.readRunCount(ctx, client, key) // missing
	if err != nil || read != nil {
		t.Fatalf("read = %v, %v; want a missing key", read, err)
	}
	if count, counted, err := fast.CountRun(ctx, contract.RunLease{Service: "svc", Tick: tick}, 1); err != nil || count != 1 || !counted {
		t.Fatalf("the other client's count = %d, %t, %v; want 1, true", count, counted, err)
	}
	put, now, err := slow.putRunCount(ctx, client, read, key, rules.RunCount{Count: 1, Last: tick.Add(time.Second)})
	if err != nil || put || now == nil {
		t.Fatalf("a put on a stale read = %t, %v, %v; want not put, and the key as it is", put, now, err)
	}
	if current, err := slow.parseRunCount("svc", key, now); err != nil || current.Count != 1 || !current.Last.Equal(tick) {
		t.Fatalf("the key read back = %+v, %v; want the other client's count", current, err)
	}
	if count, counted, err := slow.CountRun(ctx, contract.RunLease{Service: "svc", Tick: tick.Add(time.Second)}, 1); err != nil || count != 1 || counted {
		t.Fatalf("CountRun at the limit = %d, %t, %v; want 1, false", count, counted, err)
	}
}
