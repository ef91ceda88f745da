package pgserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// With TLS the URL verifies the server's certificate against the CA (verify-full) and the connection is
// encrypted.
func TestTLSVerifyFull(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{TLS: true})
	if !strings.Contains(server.URL(), "sslmode=verify-full") || server.CAFile() == "" {
		t.Fatalf("URL %s, CA file %q; want verify-full with the CA", server.URL(), server.CAFile())
	}
	conn := connect(t, server.URL())
	var encrypted bool
	err := conn.QueryRow(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").
		Scan(&encrypted)
	if err != nil || !encrypted {
		t.Fatalf("pg_stat_ssl of the connection: %v, %v; want TLS", encrypted, err)
	}
}
