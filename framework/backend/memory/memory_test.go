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

func TestClaims(t *testing.T)          { t.Parallel(); backendtest.TestClaims(t, open) }
func TestRunLeases(t *testing.T)       { t.Parallel(); backendtest.TestRunLeases(t, open) }
func TestRunHistory(t *testing.T)      { t.Parallel(); backendtest.TestRunHistory(t, open) }
func TestProcessRegistry(t *testing.T) { t.Parallel(); backendtest.TestProcessRegistry(t, open) }
func TestJobControl(t *testing.T)      { t.Parallel(); backendtest.TestJobControl(t, open) }
