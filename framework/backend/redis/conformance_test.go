package redis

import (
	"log/slog"
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/backendtest"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// TestRedisConformance runs the suites against one redis-server; each store is a fresh key prefix.
func TestRedisConformance(t *testing.T) {
	server := redistest.Start(t, "")
	openStore := func(t *testing.T, retention backend.Retention) func() contract.Backend {
		prefix := freshPrefix()
		return func() contract.Backend {
			backend, err := newRedis(server.URL(), prefix, slog.Default())
			if err != nil {
				t.Fatal(err)
			}
			backend.retention = retention
			return backend
		}
	}
	backendtest.TestBackend(t, openStore)
}
