package local

import (
	"path/filepath"
	"testing"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/backendtest"
	"github.com/hadeframe/hade/framework/contract"
)

// openStore makes a fresh folder and returns a function that opens a new client of it, as another process
// of the host would.
func openStore(t *testing.T, retention backend.Retention) func() contract.Backend {
	folder := filepath.Join(t.TempDir(), "distributed")
	return func() contract.Backend {
		local, err := newLocal(folder, retention)
		if err != nil {
			t.Fatal(err)
		}
		return local
	}
}

func TestLocalConformance(t *testing.T) {
	backendtest.TestBackend(t, openStore)
}
