package etcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// A release made as the leader is killed (kill -9) fails until the election ends (the followers forward
// it to the dead leader, then have none): ReleaseRun sends it again until it lands, so the lease is free
// after it returns, not held until it expires (here a minute).
func TestEtcdReleaseAtALeaderKillLandsAfterTheElection(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	config := Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}}
	holder, other := newTestEtcd(t, config), newTestEtcd(t, config)
	tick := time.UnixMicro(time.Now().UnixMicro())
	if got := leaseClaim(t, holder, "svc", "a", tick, time.Minute); got.Holder != "a" || got.Busy.Holder != "" {
		t.Fatalf("claim = %+v; want won by a with the lease", got)
	}
	leader := cluster.Leader()
	if leader < 0 {
		t.Fatal("no leader to kill")
	}
	cluster.Members[leader].Kill()
	killed := time.Now()
	lease := contract.RunLease{Service: "svc", Holder: "a", Tick: tick}
	if err := holder.ReleaseRun(context.Background(), lease); err != nil {
		t.Fatalf("release at the leader's kill: %v; want it sent again until the cluster has a leader", err)
	}
	released := time.Since(killed)
	got := leaseClaim(t, other, "svc", "b", tick.Add(time.Second), time.Minute)
	if got.Holder != "b" || got.Busy.Holder != "" {
		t.Fatalf("claim of the next tick after the release = %+v; want won by b with the lease", got)
	}
	t.Logf("the release landed %s after the kill of leader m%d", released.Round(time.Millisecond), leader)
}
