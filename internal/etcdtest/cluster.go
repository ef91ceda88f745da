// Package etcdtest starts a real etcd cluster for a test (see etcdserver) and stops it at cleanup.
package etcdtest

import (
	"errors"
	"os"
	"testing"

	"github.com/hadeframe/hade/internal/etcdserver"
)

// RequireEnv is set to 1 by `make test`: then a missing etcd fails the tests instead of skipping them.
const RequireEnv = "HADE_REQUIRE_ETCD"

// Start starts an etcd cluster for t with options and stops it at t's cleanup. Without etcd on the PATH
// it skips t with a message naming `make test`, or fails t when RequireEnv is 1.
func Start(t testing.TB, options etcdserver.Options) *etcdserver.Cluster {
	t.Helper()
	cluster, err := etcdserver.Start(t.TempDir(), options)
	switch {
	case errors.Is(err, etcdserver.ErrNotInstalled) && os.Getenv(RequireEnv) == "1":
		t.Fatalf("etcd is not on the PATH and %s=1: install etcd-server (make test does)", RequireEnv)
	case errors.Is(err, etcdserver.ErrNotInstalled):
		t.Skip("etcd is not on the PATH: run `make test`, which installs etcd-server and runs these tests")
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	return cluster
}
