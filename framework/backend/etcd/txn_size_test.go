package etcd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/hadeframe/hade/framework/contract"
)

// sizingKV is a KV client that answers nothing and keeps the size of the last Txn request, in bytes.
type sizingKV struct {
	pb.KVClient
	size int
}

func (s *sizingKV) Txn(_ context.Context, in *pb.TxnRequest, _ ...grpc.CallOption) (*pb.TxnResponse, error) {
	s.size = proto.Size(in)
	return &pb.TxnResponse{}, nil
}

// txnSize returns the size of the Txn request whose then-ops are ops, in bytes.
func txnSize(t *testing.T, ops []clientv3.Op) int {
	t.Helper()
	kv := &sizingKV{}
	if _, err := clientv3.NewKVFromKVClient(kv, nil).Txn(context.Background()).Then(ops...).Commit(); err != nil {
		t.Fatal(err)
	}
	return kv.size
}

// entryBytes bounds what an entry adds to a request, laid out flat or in groups, from above and within
// 25 %: for claims with and without the run lease and releases, of short and long service names, app ids
// and definitions.
func TestEtcdEntryBytesBoundTheRequest(t *testing.T) {
	backend := &etcdBackend{prefix: "/hade/", endpoints: "test"}
	tick := time.UnixMicro(time.Now().UnixMicro())
	for _, name := range []string{"job-00001", strings.Repeat("n", 200)} {
		for _, app := range []string{"a", "0123456789abcdef0123456789abcdef", strings.Repeat("a", 120)} {
			for _, kind := range []string{"claim", "lease claim", "release"} {
				requests := sizedRequests(backend, 400, kind, name, app, tick)
				for _, n := range []int{1, len(requests)} {
					ops, estimate, cost := make([]clientv3.Op, n), 0, 0
					for i, request := range requests[:n] {
						ops[i], cost = backend.entryOp(request.Payload, tick), max(cost, etcdEntryOps(request.Payload))
						estimate += entryBytes(request)
					}
					if actual := txnSize(t, layoutTxn(ops, cost)); estimate < actual || estimate > actual*5/4 {
						t.Errorf("%d %ss of %d-byte names by a %d-byte app id: estimated %d bytes, actual %d", n, kind,
							len(name), len(app), estimate, actual)
					}
				}
			}
		}
	}
}

// sizedRequests returns n requests of kind ("claim", "lease claim" or "release") of services named after
// name by app at tick, with a definition of about half app's length.
func sizedRequests(backend *etcdBackend, n int, kind, name, app string, tick time.Time) []*etcdRequest {
	requests := make([]*etcdRequest, n)
	for i := range requests {
		service := fmt.Sprintf("%s-%03d", name, i)
		key, _, _ := backend.fenceKeys(service)
		c := contract.Claim{Service: service, AppID: app, Tick: tick, HoldTime: time.Minute,
			Definition: strings.Repeat("d", len(app)/2+16), LiveUntil: tick.Add(time.Minute)}
		switch kind {
		case "lease claim":
			c.RunLease = time.Minute
			fallthrough
		case "claim":
			requests[i] = newClaimRequest(context.Background(), c, key, time.Minute)
		default:
			lease := contract.RunLease{Service: service, Holder: app, Tick: tick}
			requests[i] = newReleaseRequest(context.Background(), lease, key, time.Minute)
		}
	}
	return requests
}
