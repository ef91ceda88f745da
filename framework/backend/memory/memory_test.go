package memory_test

import (
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/backendtest"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

var _ contract.Backend = memory.NewStore(memory.Options{}).Open()

// open makes a Store with retention; its clients are the "processes" of the suites.
func open(_ *testing.T, retention backend.Retention) func() contract.Backend {
	return memory.NewStore(memory.Options{Retention: retention}).Open
}

func TestClaims(t *testing.T)          { t.Parallel(); backendtest.TestClaims(t, open) }
func TestRunLeases(t *testing.T)       { t.Parallel(); backendtest.TestRunLeases(t, open) }
func TestRunHistory(t *testing.T)      { t.Parallel(); backendtest.TestRunHistory(t, open) }
func TestProcessRegistry(t *testing.T) { t.Parallel(); backendtest.TestProcessRegistry(t, open) }
func TestJobControl(t *testing.T)      { t.Parallel(); backendtest.TestJobControl(t, open) }
