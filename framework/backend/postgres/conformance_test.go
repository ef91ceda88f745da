package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/backendtest"
	"github.com/hadeframe/hade/framework/contract"
)

// schemas numbers the fresh schemas of a test process.
var schemas atomic.Int64

// freshSchema returns a schema name no other store of this test process uses.
func freshSchema() string { return fmt.Sprintf("test_%d", schemas.Add(1)) }

// TestPostgresConformance runs the suites against one server; each store is a fresh schema.
func TestPostgresConformance(t *testing.T) {
	url := startServer(t)
	openStore := func(t *testing.T, retention backend.Retention) func() contract.Backend {
		schema := freshSchema()
		return func() contract.Backend {
			b, err := openBackend(context.Background(), url, schema, retention, slog.Default())
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	backendtest.TestBackend(t, openStore)
}
