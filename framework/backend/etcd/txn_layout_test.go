package etcd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// For every cost of the entries and every count up to etcdTxnCapacity, the layout's groups fit
// --max-txn-ops (G+K+cost <= 128), no shape holds one more, and flattenTxn gives the answers back in order.
func TestEtcdTxnLayoutFitsEveryCount(t *testing.T) {
	for _, cost := range []int{0, etcdReleaseOps, 9, 14} {
		capacity := etcdTxnCapacity(cost)
		for k := 1; k < etcdMaxTxnOps-cost; k++ {
			if k*(etcdMaxTxnOps-cost-k) > capacity {
				t.Fatalf("cost %d: %d groups of %d hold more than the capacity %d", cost, etcdMaxTxnOps-cost-k, k, capacity)
			}
		}
		for n := 1; n <= capacity; n++ {
			size := etcdGroupSize(n, cost)
			groups := (n + max(size, 1) - 1) / max(size, 1)
			if size == 0 && n+cost > etcdMaxTxnOps || size > 0 && groups+size+cost > etcdMaxTxnOps {
				t.Fatalf("cost %d, %d entries: %d groups of %d exceed %d operations a level", cost, n, groups, size, etcdMaxTxnOps)
			}
		}
	}
	ops := make([]clientv3.Op, 300)
	var answers []*pb.ResponseOp
	for i := range ops {
		ops[i] = clientv3.OpGet(fmt.Sprint(i))
	}
	for _, group := range layoutTxn(ops, 0) {
		_, then, _ := group.Txn()
		var results []*pb.ResponseOp
		for range then {
			count := int64(len(answers)*etcdGroupSize(len(ops), 0) + len(results))
			read := &pb.ResponseOp_ResponseRange{ResponseRange: &pb.RangeResponse{Count: count}}
			results = append(results, &pb.ResponseOp{Response: read})
		}
		txn := &pb.ResponseOp_ResponseTxn{ResponseTxn: &pb.TxnResponse{Responses: results}}
		answers = append(answers, &pb.ResponseOp{Response: txn})
	}
	flat, err := flattenTxn(answers, len(ops), 0)
	if err != nil || len(flat) != len(ops) || flat[299].GetResponseRange().GetCount() != 299 {
		t.Fatalf("flattenTxn of %d groups: %d answers, %v; want the %d in order", len(answers), len(flat), err, len(ops))
	}
	if _, err := flattenTxn(answers[1:], len(ops), 0); err == nil {
		t.Fatal("flattenTxn of a group too few: no error")
	}
}

// etcd takes the layout's largest shapes and refuses one entry more on a level, so the budget is exact:
// 63 groups of 63 releases (layoutTxn of etcdTxnCapacity(2)) but not 64 of 63 or 63 of 64; 3 groups of 111
// claims asking for the run lease (3+111+14 = 128) but not 3 of 112.
func TestEtcdTxnLayoutBudgetIsExact(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())},
		RequestTimeout: 30 * time.Second})
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	tick := time.UnixMicro(time.Now().UnixMicro())
	releases := func(n int) []clientv3.Op {
		ops := make([]clientv3.Op, n)
		for i := range ops {
			ops[i] = backend.releaseOp(contract.RunLease{Service: fmt.Sprintf("exact-%d", i), Holder: "a", Tick: tick})
		}
		return ops
	}
	claims := func(n int) []clientv3.Op {
		ops := make([]clientv3.Op, n)
		for i := range ops {
			c := contract.Claim{Service: fmt.Sprintf("exact-%d", i), AppID: "a", Tick: tick, HoldTime: time.Minute,
				Definition: "test", LiveUntil: tick.Add(time.Minute), RunLease: time.Minute}
			ops[i] = backend.claimOp(c, time.Now())
		}
		return ops
	}
	capacity := etcdTxnCapacity(etcdReleaseOps)
	cases := []struct {
		name string
		then []clientv3.Op
		fits bool
	}{
		{"layoutTxn of 3969 releases", layoutTxn(releases(capacity), etcdReleaseOps), true},
		{"64 groups of 63 releases", groupsOf(releases(64*63), 63), false},
		{"63 groups of 64 releases", groupsOf(releases(63*64), 64), false},
		{"3 groups of 111 lease claims", groupsOf(claims(3*111), 111), true},
		{"3 groups of 112 lease claims", groupsOf(claims(3*112), 112), false},
	}
	for _, c := range cases {
		_, err := client.Txn(context.Background()).Then(c.then...).Commit()
		switch {
		case c.fits && err != nil:
			t.Errorf("%s: %v; want taken", c.name, err)
		case !c.fits && (err == nil || !strings.Contains(err.Error(), "too many operations")):
			t.Errorf("%s: %v; want etcd's too many operations", c.name, err)
		}
	}
}

// groupsOf lays ops out in groups of size, each an unconditional transaction.
func groupsOf(ops []clientv3.Op, size int) []clientv3.Op {
	var groups []clientv3.Op
	for start := 0; start < len(ops); start += size {
		groups = append(groups, clientv3.OpTxn(nil, ops[start:min(start+size, len(ops))], nil))
	}
	return groups
}
