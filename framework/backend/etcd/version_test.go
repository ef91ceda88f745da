package etcd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestCheckEtcdVersion(t *testing.T) {
	cases := []struct {
		version string
		want    string // "" when accepted, else a part of the error
	}{
		{"3.4.0", ""},
		{"3.4.23", ""},
		{"3.5.17", ""},
		{"3.10.1", ""},
		{"4.0.0", ""},
		{"3.4", ""},
		{"3.3.27", "runs etcd 3.3.27; the minimum is 3.4"},
		{"3.0.0", "runs etcd 3.0.0; the minimum is 3.4"},
		{"2.9.9", "runs etcd 2.9.9; the minimum is 3.4"},
		{"", `etcd version "" is not major.minor`},
		{"3", `etcd version "3" is not major.minor`},
		{"three.four", `etcd version "three.four" is not major.minor`},
		{"3.-1.0", `is not major.minor`},
	}
	for _, c := range cases {
		err := checkEtcdVersion("127.0.0.1:2379", c.version)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("version %q: %v; want accepted", c.version, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "127.0.0.1:2379")):
			t.Errorf("version %q: %v; want an error naming the endpoint and %q", c.version, err, c.want)
		}
	}
}

// The members the tests install (Debian's 3.4 or later) pass the version check.
func TestEtcdCheckVersionOfTheRealServer(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}})
	if err := backend.CheckVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// With WaitForCluster, a cluster nobody serves yields a backend whose claims fail with an error naming
// etcd and the endpoint; without it, an error naming the endpoint and its setting.
func TestEtcdWaitForCluster(t *testing.T) {
	config := Config{Client: clientv3.Config{Endpoints: endpointList("127.0.0.1:1"), DialTimeout: 300 * time.Millisecond}, Prefix: "/test/"}
	if _, err := New(context.Background(), config); err == nil || !strings.Contains(err.Error(), "etcd at 127.0.0.1:1 (etcd.Config.Client.Endpoints) does not answer") {
		t.Fatalf("without WaitForCluster: %v; want an error naming etcd, the endpoint and the setting", err)
	}
	config.WaitForCluster = true
	backend, err := New(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := backend.Close(); err != nil {
			t.Error(err)
		}
	}()
	if selected, err := claim(backend, "waiting", "app", time.Now(), 500*time.Millisecond); err == nil || !strings.Contains(err.Error(), "etcd at 127.0.0.1:1") {
		t.Fatalf("claim = %q, %v; want an error naming etcd and the endpoint (fail closed)", selected, err)
	}
}
