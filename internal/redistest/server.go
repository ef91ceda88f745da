// Package redistest starts a real redis-server for a test (see redisserver) and stops it at cleanup.
package redistest

import (
	"errors"
	"os"
	"testing"

	"github.com/hadeframe/hade/internal/redisserver"
)

// RequireEnv is set to 1 by `make test`: then a missing redis-server fails the tests instead of skipping
// them.
const RequireEnv = "HADE_REQUIRE_REDIS"

// Start starts redis-server for t, requiring password when not empty, and stops it at t's cleanup.
// Without redis-server on the PATH it skips t with a message naming `make test`, or fails t when
// RequireEnv is 1.
func Start(t testing.TB, password string) *redisserver.Server {
	t.Helper()
	server, err := redisserver.Start(t.TempDir(), password)
	switch {
	case errors.Is(err, redisserver.ErrNotInstalled) && os.Getenv(RequireEnv) == "1":
		t.Fatalf("redis-server is not on the PATH and %s=1: install it (make test does)", RequireEnv)
	case errors.Is(err, redisserver.ErrNotInstalled):
		t.Skip("redis-server is not on the PATH: run `make test`, which installs it and runs these tests")
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	return server
}
