// Package backendtest is the conformance suite of contract.Backend, in the manner of testing/fstest.TestFS:
// a backend's test calls TestBackend with an Open that makes a fresh shared store and opens clients of it.
// A rule of the contract changes here, once, for every backend.
//
// A backend's test, here the memory backend's:
//
//	func open(t *testing.T, retention backend.Retention) func() contract.Backend {
//		store := memory.NewStore(nil)
//		return func() contract.Backend { return store.Open(retention) }
//	}
//
//	func TestBackend(t *testing.T) { backendtest.TestBackend(t, open) }
//
// The suites use nothing but the contract and real time. Where timing matters, windows and leases are at
// least one second wide, so that a loaded machine does not fail them; the slowest subtest waits about
// 10 s (a registry record's expiry; a backend may round a ttl up).
package backendtest

import (
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// Open makes a fresh, empty store whose run history keeps retention, and returns a function that opens a
// new client of it, as another process would (all clients of one store share its state). Open may fail
// the test (t.Fatal) when the store cannot be made. The suite closes each client it opens when its test
// ends and fails when that Close returns an error, so neither Open nor the returned function closes them.
type Open func(t *testing.T, retention backend.Retention) (newClient func() contract.Backend)

// TestBackend runs the conformance suite of contract.Backend against the stores open makes, one subtest
// per role, in turn: Claims (the fence rule), RunLeases (leases, run counts and queues of buffered
// ticks), RunHistory, ProcessRegistry and JobControl. It takes about 40 s, most of it waiting out
// windows, leases and records' ttls.
func TestBackend(t *testing.T, open Open) {
	t.Run("Claims", func(t *testing.T) { testClaims(t, open) })
	t.Run("RunLeases", func(t *testing.T) { testRunLeases(t, open) })
	t.Run("RunHistory", func(t *testing.T) { testRunHistory(t, open) })
	t.Run("ProcessRegistry", func(t *testing.T) { testProcessRegistry(t, open) })
	t.Run("JobControl", func(t *testing.T) { testJobControl(t, open) })
}

// defaultRetention is the retention of every store but those of the history's retention tests.
var defaultRetention = backend.Retention{PerJob: 1000, MaxAge: 30 * 24 * time.Hour}

// connect makes a fresh store with retention through open and returns a function that opens a new client
// of it, closed when t ends.
func connect(t *testing.T, open Open, retention backend.Retention) func() contract.Backend {
	t.Helper()
	newClient := open(t, retention)
	return func() contract.Backend {
		client := newClient()
		t.Cleanup(func() {
			if err := client.Close(); err != nil {
				t.Errorf("Close of a client: %v", err)
			}
		})
		return client
	}
}

// closedClient returns a client of a fresh store that was opened and closed, for the tests of what calls
// after Close do.
func closedClient(t *testing.T, open Open) contract.Backend {
	t.Helper()
	client := open(t, defaultRetention)()
	if err := client.Close(); err != nil {
		t.Fatalf("Close of a fresh client: %v", err)
	}
	return client
}
