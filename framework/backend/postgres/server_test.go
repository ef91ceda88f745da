package postgres

import (
	"testing"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// startServer starts a PostgreSQL cluster for t (see pgtest.Start) and returns its URL.
func startServer(t *testing.T) string {
	t.Helper()
	return pgtest.Start(t, pgserver.Options{}).URL()
}
