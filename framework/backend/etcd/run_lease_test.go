package etcd

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// leaseClaimRequests returns n claim requests of services lease-0… for app at tick, asking for the run lease.
func leaseClaimRequests(backend *etcdBackend, n int, app string, tick time.Time) []*etcdRequest {
	requests := make([]*etcdRequest, n)
	for i := range requests {
		c := contract.Claim{Service: fmt.Sprintf("lease-%d", i), AppID: app, Tick: tick, HoldTime: time.Minute,
			Definition: "test", LiveUntil: tick.Add(time.Minute), RunLease: time.Minute}
		key, _, _ := backend.fenceKeys(c.Service)
		requests[i] = newClaimRequest(context.Background(), c, key, time.Minute)
	}
	return requests
}

// answers returns the answers to requests, or fails t.
func answers(t *testing.T, requests []*etcdRequest) []contract.Claimed {
	t.Helper()
	claimed := make([]contract.Claimed, len(requests))
	for i, request := range requests {
		reply := <-request.Replied()
		answer := reply.Value
		if reply.Err != nil || answer.err != nil {
			t.Fatalf("claim %d: %v, %v", i, reply.Err, answer.err)
		}
		claimed[i] = answer.claimed
	}
	return claimed
}

// 1200 claims asking for the run lease (about 2 KiB each) go in the requests chunkEntries cuts at 1 MiB (a
// few, not the 11 of 114 claims that fit one level), each claim decided on its own: the lease taken by the
// first claims, busy for the claims of a next tick.
func TestEtcdLeaseClaimsFitTheTxnLimits(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, RequestTimeout: 10 * time.Second}) // a loaded machine times out no request
	tick := time.UnixMicro(time.Now().UnixMicro())
	for round, app := range []string{"a", "b", "c"} {
		at := tick
		if app == "c" {
			at = tick.Add(time.Second)
		}
		requests := leaseClaimRequests(backend, 1200, app, at)
		chunks := len(chunkEntries(slices.Clone(requests)))
		if chunks < 2 || chunks > 3 {
			t.Fatalf("1200 lease claims cut in %d requests, want 2 or 3 of at most 1 MiB", chunks)
		}
		before := etcdTxns(t, cluster)
		if retries := backend.send(slices.Clone(requests)); len(retries) != 0 {
			t.Fatalf("round %d: %d claims to send again", round, len(retries))
		}
		if sent := etcdTxns(t, cluster) - before; sent != float64(chunks) {
			t.Fatalf("round %d: 1200 lease claims took %v Txn requests, want %d", round, sent, chunks)
		}
		for i, claimed := range answers(t, requests) {
			switch {
			case app != "c" && (claimed.Holder != "a" || claimed.Busy.Holder != ""):
				t.Fatalf("round %d (app %s): claim %d = %+v, want won by a with the lease", round, app, i, claimed)
			case app == "c" && (claimed.Holder != "c" || claimed.Busy.Holder != "a" || !claimed.Busy.Tick.Equal(tick)):
				t.Fatalf("claim %d of the next tick = %+v; want won by c, busy with a's run", i, claimed)
			}
		}
	}
}

// A claim sent again (its reply lost) answers from the run key: not busy when its run holds the lease
// (taken by the claim, or by AcquireRun for the same tick), busy with the run named there otherwise, and
// busy with unknownHolder when that run has released the lease since: the first answer was busy.
func TestEtcdLeaseClaimResentAnswersAsTheFirst(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}})
	ctx := context.Background()
	tick := time.Now().Add(-5 * time.Second).Truncate(time.Millisecond)
	other := contract.RunLease{Service: "svc", Holder: "x", Tick: tick.Add(-time.Hour)}
	if _, err := backend.AcquireRun(ctx, other, time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the claim, then its re-send
		if got := leaseClaim(t, backend, "svc", "b", tick, time.Minute); got.Holder != "b" || !sameLease(got.Busy, other) {
			t.Fatalf("claim #%d = %+v; want won by b, busy with x's run", i+1, got)
		}
	}
	if err := backend.ReleaseRun(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got := leaseClaim(t, backend, "svc", "b", tick, time.Minute); got.Busy.Holder != rules.UnknownHolder {
		t.Fatalf("re-sent after the holder's release = %+v; want busy with %q", got, rules.UnknownHolder)
	}
	mine := contract.RunLease{Service: "svc", Holder: "b", Tick: tick.Add(time.Second)}
	if _, err := backend.AcquireRun(ctx, mine, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := leaseClaim(t, backend, "svc", "b", mine.Tick, time.Minute); got.Holder != "b" || got.Busy.Holder != "" {
		t.Fatalf("claim of a tick whose run holds the lease = %+v; want won, not busy", got)
	}
}

// RenewRuns renews many leases in requests within etcd's limits, two leases of one service included (etcd
// refuses two puts of a key in one request): the one held is renewed, the other is lost.
func TestEtcdRenewRunsManyLeases(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}})
	ctx := context.Background()
	tick := time.Now().Truncate(time.Millisecond)
	leases := make([]contract.RunLease, etcdMaxTxnOps+20)
	for i := range leases {
		leases[i] = contract.RunLease{Service: fmt.Sprintf("renew-%d", i), Holder: "a", Tick: tick}
		if _, err := backend.AcquireRun(ctx, leases[i], time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	stale := contract.RunLease{Service: "renew-0", Holder: "a", Tick: tick.Add(-time.Minute)}
	lost, err := backend.RenewRuns(ctx, append([]contract.RunLease{stale}, leases...), time.Minute)
	if err != nil || len(lost) != 1 || !sameLease(lost[0], stale) {
		t.Fatalf("renewal of %d leases and a stale one: lost %v, %v; want the stale one", len(leases), lost, err)
	}
}

// The releases of many services finishing together go in few Txn requests: while the queue's first request
// waits on a paused member, the 59 others made meanwhile wait in line and then go as one request (2 in all), a release
// that no longer matches among them fails none of the others, and each release is applied when its
// ReleaseRun returns (another client reads no run key then).
func TestEtcdReleasesFinishingTogetherAreFewTxns(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())},
		RequestTimeout: 10 * time.Second})
	reader, err := cluster.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	ctx := context.Background()
	tick := time.Now().Truncate(time.Millisecond)
	leases := make([]contract.RunLease, 60)
	for i := range leases {
		leases[i] = contract.RunLease{Service: fmt.Sprintf("release-%d", i), Holder: "a", Tick: tick}
		if _, err := backend.AcquireRun(ctx, leases[i], time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	kept := leases[7]
	leases[7].Tick = tick.Add(-time.Second) // no longer the holder's run: releases nothing
	before := etcdTxns(t, cluster)
	if err := cluster.Members[0].Pause(); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, len(leases))
	go func() { errs <- releaseAndRead(backend, reader, leases[0]) }()
	time.Sleep(100 * time.Millisecond)
	waitForLine(t, backend, 0) // the sender took the first (else it goes with the others): it waits on the member
	for _, lease := range leases[1:] {
		go func() { errs <- releaseAndRead(backend, reader, lease) }()
	}
	waitForLine(t, backend, len(leases)-1) // the others wait in line behind it
	if err := cluster.Members[0].Resume(); err != nil {
		t.Fatal(err)
	}
	for range leases {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if sent := etcdTxns(t, cluster) - before; sent > 2 {
		t.Fatalf("%d releases took %v Txn requests; want at most 2 (the first, then the others together)", len(leases), sent)
	}
	other := contract.RunLease{Service: kept.Service, Holder: "b", Tick: tick}
	if holder, err := backend.AcquireRun(ctx, other, time.Minute); err != nil || !sameLease(holder, kept) {
		t.Fatalf("lease after a release that no longer matched = %+v, %v; want still %+v", holder, err, kept)
	}
}

// releaseAndRead releases lease and then reads its run key with reader: absent, unless the release names
// a tick the key does not (nothing to release).
func releaseAndRead(backend *etcdBackend, reader *clientv3.Client, lease contract.RunLease) error {
	if err := backend.ReleaseRun(context.Background(), lease); err != nil {
		return err
	}
	run, _ := backend.runKeys(lease.Service)
	response, err := reader.Get(context.Background(), run)
	if err != nil {
		return err
	}
	if response.Count > 0 && string(response.Kvs[0].Value) == runValue(lease.Holder, lease.Tick) {
		return fmt.Errorf("run key of %s still names the released run after ReleaseRun returned", lease.Service)
	}
	return nil
}

// waitForLine waits until n requests wait in backend's queue, or fails t after 10 s.
func waitForLine(t *testing.T, backend *etcdBackend, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); backend.queue.Len() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests in line, want %d", backend.queue.Len(), n)
		}
	}
}
