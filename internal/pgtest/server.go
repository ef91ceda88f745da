// Package pgtest starts real PostgreSQL clusters for a test (see pgserver) and stops them at cleanup.
package pgtest

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hadeframe/hade/internal/pgserver"
)

// RequireEnv is set to 1 by `make test`: then a missing PostgreSQL fails the tests instead of skipping
// them.
const RequireEnv = "HADE_REQUIRE_POSTGRES"

// logLines is how much of a server's log a failed test shows.
const logLines = 60

// Start starts a PostgreSQL cluster for t with options and stops it at t's cleanup, after logging the
// tail of its log when t failed. Without PostgreSQL installed it skips t with a message naming `make
// test`, or fails t when RequireEnv is 1.
func Start(t testing.TB, options pgserver.Options) *pgserver.Server {
	t.Helper()
	server, err := pgserver.Start(t.TempDir(), options)
	switch {
	case errors.Is(err, pgserver.ErrNotInstalled) && os.Getenv(RequireEnv) == "1":
		t.Fatalf("%v and %s=1: install PostgreSQL (make test does)", err, RequireEnv)
	case errors.Is(err, pgserver.ErrNotInstalled):
		t.Skipf("%v: run `make test`, which installs it and runs these tests", err)
	case err != nil:
		t.Fatal(err)
	}
	stopAtCleanup(t, server, "postgres")
	return server
}

// StartStandby starts a streaming standby of primary for t (see pgserver.Server.StartStandby) and stops
// it at t's cleanup, before primary, after logging the tail of its log when t failed.
func StartStandby(t testing.TB, primary *pgserver.Server, synchronous bool) *pgserver.Server {
	t.Helper()
	standby, err := primary.StartStandby(t.TempDir(), synchronous)
	if err != nil {
		t.Fatal(err)
	}
	stopAtCleanup(t, standby, "postgres standby "+standby.ApplicationName())
	return standby
}

// stopAtCleanup stops server at t's cleanup, logging the tail of its log (as name's) first when t failed.
func stopAtCleanup(t testing.TB, server *pgserver.Server, name string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s on port %d, last lines of its log:\n%s", name, server.Port(), tail(server.Log(), logLines))
		}
		server.Stop()
	})
}

// tail returns the last lines of text.
func tail(text string, lines int) string {
	all := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
