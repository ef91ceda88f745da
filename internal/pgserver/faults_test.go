package pgserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// A table written before a kill -9 of every process is there after the restart on the same port.
func TestKillThenRestartKeepsData(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{})
	port := server.Port()
	conn := connect(t, server.URL())
	exec(t, conn, "CREATE TABLE kept (n int)")
	exec(t, conn, "INSERT INTO kept VALUES (42)")
	server.Kill()
	if server.Running() {
		t.Fatal("the server runs after Kill")
	}
	if err := conn.Ping(context.Background()); err == nil {
		t.Fatal("a connection to a killed server still answers")
	}
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	if server.Port() != port {
		t.Fatalf("port %d after the restart, %d before", server.Port(), port)
	}
	conn = connect(t, server.URL())
	if n := queryInt(t, conn, "SELECT n FROM kept"); n != 42 {
		t.Fatalf("after the restart the table holds %d, want 42", n)
	}
	if !strings.Contains(server.Log(), "database system was interrupted") {
		t.Fatalf("no crash recovery in the log:\n%s", server.Log())
	}
}

// A paused server answers no query, on a connection opened before (the backends are paused, not just the
// postmaster); once resumed, the waiting query answers.
func TestPauseStallsQueries(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{})
	waiting, timed := connect(t, server.URL()), connect(t, server.URL())
	if err := server.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	var n int
	err := timed.QueryRow(ctx, "SELECT 1").Scan(&n)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		_ = server.Resume()
		t.Fatalf("a query on a paused server: %v; want no answer within 300 ms", err)
	}
	answered := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
		defer cancel()
		var n int
		answered <- waiting.QueryRow(ctx, "SELECT 1").Scan(&n)
	}()
	select {
	case err := <-answered:
		_ = server.Resume()
		t.Fatalf("a query on a paused server answered: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := server.Resume(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("the query waiting on the resumed server: %v", err)
		}
	case <-time.After(wait):
		t.Fatalf("the query waiting on the resumed server did not answer within %s", wait)
	}
}
