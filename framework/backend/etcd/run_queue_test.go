package etcd

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// TestEtcdQueueRunSharesTheRunLease: a tick queued behind a lease taken by AcquireRun waits in the key
// <prefix>run-queues/<service> ("<taken>/<ticks>", no lease); a client whose clock is past the lease's
// run-until takes the tick with the run and run-until keys, which RenewRuns renews and ReleaseRun releases;
// a malformed queue value is an error naming the key.
func TestEtcdQueueRunSharesTheRunLease(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	backend, later := open(), open()
	later.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	ctx := context.Background()
	tick := time.UnixMicro(time.Now().UnixMicro())
	held := contract.RunLease{Service: "svc", Holder: "x", Tick: tick}
	if _, err := backend.AcquireRun(ctx, held, time.Minute); err != nil {
		t.Fatal(err)
	}
	run := contract.RunLease{Service: "svc", Holder: "b", Tick: tick.Add(time.Second)}
	holder, waiting, err := backend.QueueRun(ctx, run, 10, time.Minute)
	if err != nil || !sameLease(holder, held) || !slices.EqualFunc(waiting, []time.Time{run.Tick}, time.Time.Equal) {
		t.Fatalf("QueueRun behind x's lease = %+v, %v, %v; want x's run, the tick waiting", holder, waiting, err)
	}
	keys := backend.runQueueKeys("svc")
	wantKey(t, backend, keys[2], "/"+encodeMicros(run.Tick))
	taken := contract.RunLease{Service: "svc", Holder: "c", Tick: run.Tick}
	holder, waiting, err = later.QueueRun(ctx, taken, 0, time.Minute)
	if err != nil || !sameLease(holder, taken) || len(waiting) != 0 {
		t.Fatalf("QueueRun 2 min later = %+v, %v, %v; want the tick taken by c, none waiting", holder, waiting, err)
	}
	wantKey(t, backend, keys[2], encodeMicros(run.Tick)+"/")
	wantKey(t, backend, keys[0], runValue("c", run.Tick))
	lost, err := backend.RenewRuns(ctx, []contract.RunLease{taken}, time.Minute)
	if err != nil || len(lost) != 0 {
		t.Fatalf("renewal of the lease QueueRun took: lost %v, %v; want renewed", lost, err)
	}
	if err := backend.ReleaseRun(ctx, taken); err != nil {
		t.Fatal(err)
	}
	if holder, _, err := backend.QueueRun(ctx, taken, 0, time.Minute); err != nil || holder.Holder != "" {
		t.Fatalf("QueueRun after the release = %+v, %v; want the lease free", holder, err)
	}
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, keys[2], "x"); err != nil {
		t.Fatal(err)
	}
	_, _, err = backend.QueueRun(ctx, run, 10, time.Minute)
	if err == nil || !strings.Contains(err.Error(), keys[2]) {
		t.Fatalf("QueueRun on a malformed queue: %v; want an error naming %s", err, keys[2])
	}
}

// wantKey fails t unless key holds value, without an etcd lease.
func wantKey(t *testing.T, backend *etcdBackend, key, value string) {
	t.Helper()
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(response.Kvs) != 1 || string(response.Kvs[0].Value) != value || response.Kvs[0].Lease != 0 {
		t.Fatalf("%s = %v; want %q without a lease", key, response.Kvs, value)
	}
}

// TestEtcdQueueRunLostRace: writes decided on keys read before another client renewed the lease are not
// applied, and answer the keys as they are now, which QueueRun decides again.
func TestEtcdQueueRunLostRace(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	slow, fast := open(), open()
	ctx := context.Background()
	tick := time.UnixMicro(time.Now().UnixMicro())
	held := contract.RunLease{Service: "svc", Holder: "x", Tick: tick}
	if _, err := fast.AcquireRun(ctx, held, time.Minute); err != nil {
		t.Fatal(err)
	}
	client, err := slow.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	keys := slow.runQueueKeys("svc")
	reads, err := slow.readRunQueue(ctx, client, keys)
	if err != nil {
		t.Fatal(err)
	}
	before, err := slow.parseRunQueue("svc", keys, reads)
	if err != nil || before.lease.Holder != "x" || before.revisions[2] != 0 {
		t.Fatalf("read = %+v, %v; want x's lease, no queue key", before, err)
	}
	lost, err := fast.RenewRuns(ctx, []contract.RunLease{held}, 2*time.Minute)
	if err != nil || len(lost) != 0 {
		t.Fatalf("the other client's renewal: lost %v, %v", lost, err)
	}
	queue := rules.RunQueue{Waiting: []time.Time{tick.Add(time.Second)}}
	writes := []clientv3.Op{clientv3.OpPut(keys[2], encodeRunQueue(queue))}
	put, reads, err := slow.putRunQueue(ctx, client, keys, before.revisions, writes)
	if err != nil || put {
		t.Fatalf("a put on a stale read = %t, %v; want not put", put, err)
	}
	after, err := slow.parseRunQueue("svc", keys, reads)
	if err != nil || !after.lease.Until.After(before.lease.Until) || after.revisions[1] == before.revisions[1] {
		t.Fatalf("the keys read back = %+v, %v; want the renewed lease", after, err)
	}
	run := contract.RunLease{Service: "svc", Holder: "b", Tick: tick.Add(time.Second)}
	holder, waiting, err := slow.QueueRun(ctx, run, 10, time.Minute)
	if err != nil || !sameLease(holder, held) || len(waiting) != 1 {
		t.Fatalf("QueueRun = %+v, %v, %v; want queued behind x's run", holder, waiting, err)
	}
}

// TestEtcdRunQueueValue: a queue's value round-trips, the taken tick "" when zero; a value that is not
// "<taken>/<ticks>" in order after the taken tick is malformed.
func TestEtcdRunQueueValue(t *testing.T) {
	tick := time.UnixMicro(time.Now().UnixMicro())
	for _, q := range []rules.RunQueue{{}, {Taken: tick}, {Waiting: []time.Time{tick}},
		{Taken: tick, Waiting: []time.Time{tick.Add(time.Microsecond), tick.Add(time.Hour)}}} {
		value := encodeRunQueue(q)
		got, ok := decodeRunQueue(value)
		if !ok || !got.Taken.Equal(q.Taken) || !slices.EqualFunc(got.Waiting, q.Waiting, time.Time.Equal) {
			t.Fatalf("%+v encoded %q decodes to %+v, %t", q, value, got, ok)
		}
	}
	at := encodeMicros(tick)
	for _, value := range []string{"", at, "x/", "/x", "/" + at + ",", "/" + at + "," + at, at + "/" + at} {
		if got, ok := decodeRunQueue(value); ok {
			t.Errorf("%q decodes to %+v; want malformed", value, got)
		}
	}
}
