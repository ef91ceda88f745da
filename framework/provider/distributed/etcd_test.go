package distributed

import (
	"testing"
)

// newTestEtcd returns an etcd backend for config with the prefix "/test/" unless config has one, closed
// at t's cleanup.
func newTestEtcd(t *testing.T, config EtcdConfig) *Etcd {
	t.Helper()
	if config.Prefix == "" {
		config.Prefix = "/test/"
	}
	if config.Setting == "" {
		config.Setting = "test endpoints"
	}
	backend, err := NewEtcd(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := backend.Close(); err != nil {
			t.Error(err)
		}
	})
	return backend
}
