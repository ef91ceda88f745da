package etcd

import (
	"context"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// markOrFail returns MarkRun's answer for holder's run of service's tick, or fails t.
func markOrFail(t *testing.T, backend *etcdBackend, service, holder string, tick time.Time) bool {
	t.Helper()
	run := contract.RunLease{Service: service, Holder: holder, Tick: tick}
	marked, err := backend.MarkRun(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	return marked
}

// markLeaseOf returns the lease of the mark at key and its TTL left, failing t unless key holds holder with
// a live lease.
func markLeaseOf(t *testing.T, backend *etcdBackend, key, holder string) (clientv3.LeaseID, time.Duration) {
	t.Helper()
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(response.Kvs) != 1 || string(response.Kvs[0].Value) != holder || response.Kvs[0].Lease == 0 {
		t.Fatalf("%s = %v; want %q with a lease", key, response.Kvs, holder)
	}
	id := clientv3.LeaseID(response.Kvs[0].Lease)
	lease, err := client.TimeToLive(context.Background(), id)
	if err != nil || lease.TTL <= 0 {
		t.Fatalf("lease %x of %s: %+v, %v; want a live lease", id, key, lease, err)
	}
	return id, time.Duration(lease.TTL) * time.Second
}

// leaseGrants returns how many LeaseGrant requests the members of cluster have handled.
func leaseGrants(t *testing.T, cluster *etcdserver.Cluster) float64 {
	t.Helper()
	var sum float64
	for _, m := range cluster.Members {
		value, err := m.Metric("grpc_server_handled_total", `grpc_method="LeaseGrant"`)
		if err != nil {
			t.Fatal(err)
		}
		sum += value
	}
	return sum
}

// wantTTL fails t unless ttl is within [low, high] (a second more for etcd's rounding).
func wantTTL(t *testing.T, what string, ttl, low, high time.Duration) {
	t.Helper()
	if ttl < low-time.Second || ttl > high+time.Second {
		t.Fatalf("TTL of %s = %s; want %s to %s", what, ttl, low, high)
	}
}

// TestEtcdMarkRunKeyAndLeases: a mark is the key <prefix>run-marks/<service>/<tick in µs> holding its
// holder, put with the lease of the period (MaxAge/16) holding tick+MaxAge; the same tick in another zone,
// without its monotonic reading, is the same key. Another tick of the period shares the lease: one Txn, no
// Grant. A tick older than MaxAge is kept at least a period: the first mark of that period is a Grant and
// a Txn.
func TestEtcdMarkRunKeyAndLeases(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	maxAge, period := 16*time.Hour, time.Hour
	backend := newEtcdStore(t, cluster, historyRetention{MaxAge: maxAge})()
	tick := time.Now().Add(-time.Hour)
	resent := tick.Round(0).In(time.UTC)
	if !markOrFail(t, backend, "svc", "a", tick) || !markOrFail(t, backend, "svc", "a", resent) ||
		markOrFail(t, backend, "svc", "b", tick) {
		t.Fatal("marks of a, a again (another zone), b = not true, true, false")
	}
	key := backend.prefix + "run-marks/svc/" + encodeMicros(tick)
	lease, ttl := markLeaseOf(t, backend, key, "a")
	wantTTL(t, key, ttl, time.Until(tick.Add(maxAge)), time.Until(tick.Add(maxAge+period)))

	end := time.UnixMicro(runMarkEnd(tick, time.Now(), maxAge))
	same := end.Add(-maxAge) // the last tick of the period
	txns, grants := etcdTxns(t, cluster), leaseGrants(t, cluster)
	if !markOrFail(t, backend, "svc", "a", same) {
		t.Fatal("the mark of another tick of the period = false")
	}
	if txns, grants := etcdTxns(t, cluster)-txns, leaseGrants(t, cluster)-grants; txns != 1 || grants != 0 {
		t.Fatalf("the mark of another tick of the period was %v Txns and %v Grants; want 1 and 0", txns, grants)
	}
	if shared, _ := markLeaseOf(t, backend, backend.runMarkKey("svc", same), "a"); shared != lease {
		t.Fatalf("lease of another tick of the period = %x; want %x, shared", shared, lease)
	}

	old := time.Now().Add(-maxAge - time.Hour)
	txns, grants = etcdTxns(t, cluster), leaseGrants(t, cluster)
	if !markOrFail(t, backend, "svc", "a", old) {
		t.Fatal("the mark of a tick older than MaxAge = false")
	}
	if txns, grants := etcdTxns(t, cluster)-txns, leaseGrants(t, cluster)-grants; txns != 1 || grants != 1 {
		t.Fatalf("the first mark of a period was %v Txns and %v Grants; want 1 and 1", txns, grants)
	}
	_, ttl = markLeaseOf(t, backend, backend.runMarkKey("svc", old), "a")
	wantTTL(t, "the mark of a tick older than MaxAge", ttl, period, 2*period)
}

// TestEtcdMarkRunLostLease: when the lease kept for a period is gone (revoked), MarkRun grants another;
// marks of one period made at once by one backend all land, and the backend keeps one lease for it.
func TestEtcdMarkRunLostLease(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	maxAge := 16 * time.Hour
	backend := newEtcdStore(t, cluster, historyRetention{MaxAge: maxAge})()
	tick := time.Now().Add(-time.Hour).Truncate(time.Hour).Add(time.Minute) // the next minute is in its period
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			run := contract.RunLease{Service: "svc", Holder: "a", Tick: tick.Add(time.Duration(i) * time.Microsecond)}
			if marked, err := backend.MarkRun(context.Background(), run); err != nil || !marked {
				t.Errorf("mark %d made at once = %t, %v; want true", i, marked, err)
			}
		})
	}
	wg.Wait()
	end := runMarkEnd(tick, time.Now(), maxAge)
	kept, ok := backend.marks.get(end)
	if len(backend.marks.byEnd) != 1 || !ok {
		t.Fatalf("leases kept %v; want one ending at %d", backend.marks.byEnd, end)
	}
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Revoke(context.Background(), kept); err != nil {
		t.Fatal(err)
	}
	later := tick.Add(time.Minute)
	if !markOrFail(t, backend, "svc", "a", later) {
		t.Fatal("the mark after the lease was revoked = false")
	}
	if lease, _ := markLeaseOf(t, backend, backend.runMarkKey("svc", later), "a"); lease == kept {
		t.Fatalf("the mark after lease %x was revoked has it again", kept)
	}
}

// TestEtcdRunMarkEnd: a mark's lease ends at the end of the period holding tick+MaxAge (a tick+MaxAge on a
// period's end is in that period), or holding now+period when that is later; a period is at least a
// minute.
func TestEtcdRunMarkEnd(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 30, 0, 0, time.UTC)
	at := func(hour, minute int) time.Time { return time.Date(2030, 1, 1, hour, minute, 0, 0, time.UTC) }
	for _, c := range []struct {
		tick   time.Time
		maxAge time.Duration
		want   time.Time
	}{
		{now.Add(-time.Hour), 16 * time.Hour, at(16, 0)},
		{at(16, 0).Add(-16 * time.Hour), 16 * time.Hour, at(16, 0)},
		{at(16, 0).Add(-16*time.Hour + time.Microsecond), 16 * time.Hour, at(17, 0)},
		{now.Add(-20 * time.Hour), 16 * time.Hour, at(2, 0)},
		{now.Add(-15*time.Hour - 30*time.Minute), 16 * time.Hour, at(2, 0)},
		{now, time.Second, at(0, 31)},
	} {
		if got := time.UnixMicro(runMarkEnd(c.tick, now, c.maxAge)).UTC(); !got.Equal(c.want) {
			t.Errorf("runMarkEnd(%s, now %s, %s) = %s; want %s", c.tick, now, c.maxAge, got, c.want)
		}
	}
}
