package etcd

import (
	"fmt"
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/backendtest"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestEtcdConformance runs the suites against one 3-member cluster; each store is a fresh key prefix.
func TestEtcdConformance(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	openStore := func(t *testing.T, retention backend.Retention) func() contract.Backend {
		prefix := fmt.Sprintf("/store-%d/", etcdPrefixes.Add(1))
		return func() contract.Backend {
			backend, err := newEtcd(Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			backend.retention = retention
			return backend
		}
	}
	backendtest.TestBackend(t, openStore)
}
