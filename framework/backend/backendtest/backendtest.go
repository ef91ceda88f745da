// Package backendtest is the conformance suite of contract.Backend, in the manner of testing/fstest.TestFS:
// a backend's tests call TestClaims, TestRunLeases, TestRunHistory, TestProcessRegistry and TestJobControl
// with an Open that makes a fresh shared store and opens clients of it. A rule of the contract changes
// here, once, for every backend.
//
// A backend's test, here the memory backend's:
//
//	func open(t *testing.T, retention backend.Retention) func() contract.Backend {
//		store := memory.NewStore(nil)
//		return func() contract.Backend { return store.Open(retention) }
//	}
//
//	func TestClaims(t *testing.T) { backendtest.TestClaims(t, open) }
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
