package pgserver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// A synchronous standby: a write on the primary shows on the standby, which refuses writes; a commit
// returns only once the standby has the write, so after a kill -9 of the primary right after it, the
// promoted standby has it and accepts writes.
func TestSynchronousStandbyFailover(t *testing.T) {
	primary := pgtest.Start(t, pgserver.Options{})
	standby := pgtest.StartStandby(t, primary, true)
	onPrimary := connect(t, primary.URL())
	var state string
	err := onPrimary.QueryRow(context.Background(),
		"SELECT sync_state FROM pg_stat_replication WHERE application_name = $1", standby.ApplicationName()).Scan(&state)
	if err != nil || state != "sync" {
		t.Fatalf("the standby's sync_state on the primary: %q, %v; want sync", state, err)
	}
	exec(t, onPrimary, "CREATE TABLE failover (n int)")
	exec(t, onPrimary, "INSERT INTO failover VALUES (1)")
	onStandby := connect(t, standby.URL())
	waitRows(t, onStandby, 1)
	var pgErr *pgconn.PgError
	_, err = onStandby.Exec(context.Background(), "INSERT INTO failover VALUES (0)")
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Fatalf("a write on the standby: %v; want SQLSTATE 25006 (read-only transaction)", err)
	}

	exec(t, onPrimary, "INSERT INTO failover VALUES (2)")
	primary.Kill()
	if err := standby.Promote(); err != nil {
		t.Fatal(err)
	}
	promoted := connect(t, standby.URL())
	exec(t, promoted, "INSERT INTO failover VALUES (3)")
	if n := queryInt(t, promoted, "SELECT count(*) FROM failover"); n != 3 {
		t.Fatalf("the promoted standby has %d rows, want 3 (1 and 2 from the primary, 3 written on it)", n)
	}
}

// A promoted standby gets a synchronous standby of its own (its name new in the chain), which the next
// failover promotes with every committed write; after a Restart, WaitSynchronous returns once the standby
// streams again, and a commit then returns.
func TestFailoverChainKeepsASynchronousStandby(t *testing.T) {
	primary := pgtest.Start(t, pgserver.Options{Settings: map[string]string{"wal_retrieve_retry_interval": "200ms"}})
	first := pgtest.StartStandby(t, primary, true)
	exec(t, connect(t, primary.URL()), "CREATE TABLE failover (n int)")
	primary.Kill()
	if err := first.Promote(); err != nil {
		t.Fatal(err)
	}
	second := pgtest.StartStandby(t, first, true)
	if second.ApplicationName() == first.ApplicationName() {
		t.Fatalf("the promoted standby and its standby are both named %q", first.ApplicationName())
	}
	onFirst := connect(t, first.URL())
	var state string
	err := onFirst.QueryRow(context.Background(),
		"SELECT sync_state FROM pg_stat_replication WHERE application_name = $1", second.ApplicationName()).Scan(&state)
	if err != nil || state != "sync" {
		t.Fatalf("the new standby's sync_state on the promoted one: %q, %v; want sync", state, err)
	}
	exec(t, onFirst, "INSERT INTO failover VALUES (1)")
	onFirst.Close(context.Background())
	if err := first.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := first.WaitSynchronous(); err != nil {
		t.Fatal(err)
	}
	exec(t, connect(t, first.URL()), "INSERT INTO failover VALUES (2)")
	first.Kill()
	if err := second.Promote(); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, connect(t, second.URL()), "SELECT count(*) FROM failover"); n != 2 {
		t.Fatalf("the second promoted standby has %d rows, want 2", n)
	}
}

// waitRows waits until the table failover has rows rows on conn (a standby replays the primary's WAL a
// moment after the commit), at most wait.
func waitRows(t *testing.T, conn *pgx.Conn, rows int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM failover").Scan(&n)
		cancel()
		if err == nil && n == rows {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table failover on the standby: %d rows, %v; want %d within %s", n, err, rows, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
