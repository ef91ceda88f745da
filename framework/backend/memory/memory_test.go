package memory_test

import (
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/backendtest"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

var _ contract.Backend = memory.NewStore(nil).Open(backend.Retention{})

// open makes a Store with retention; its clients are the "processes" of the suites.
func open(_ *testing.T, retention backend.Retention) func() contract.Backend {
	store := memory.NewStore(nil)
	return func() contract.Backend { return store.Open(retention) }
}

func TestBackend(t *testing.T) { t.Parallel(); backendtest.TestBackend(t, open) }
