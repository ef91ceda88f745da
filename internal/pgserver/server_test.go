package pgserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// wait bounds every wait of these tests: long, for a loaded 2-core machine.
const wait = 30 * time.Second

// connect connects to url within wait; the connection is closed at t's cleanup.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// exec runs sql on conn within wait.
func exec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// queryInt returns the integer sql selects on conn, within wait.
func queryInt(t *testing.T, conn *pgx.Conn, sql string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// The URL logs in as the superuser on the database hade; settings reach postgresql.conf.
func TestStartAndQuery(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{Settings: map[string]string{"work_mem": "8MB"}})
	conn := connect(t, server.URL())
	if n := queryInt(t, conn, "SELECT 1"); n != 1 {
		t.Fatalf("SELECT 1 = %d", n)
	}
	var user, database, workMem string
	err := conn.QueryRow(context.Background(),
		"SELECT current_user, current_database(), current_setting('work_mem')").Scan(&user, &database, &workMem)
	if err != nil || user != pgserver.User || database != pgserver.Database || workMem != "8MB" {
		t.Fatalf("user %q, database %q, work_mem %q, %v; want %s, %s, 8MB", user, database, workMem, err,
			pgserver.User, pgserver.Database)
	}
	if !strings.HasPrefix(server.URL(), "postgres://hade:"+pgserver.DefaultPassword+"@127.0.0.1:") ||
		strings.Contains(server.URLWithoutPassword(), pgserver.DefaultPassword) {
		t.Fatalf("URL %s, URLWithoutPassword %s", server.URL(), server.URLWithoutPassword())
	}
}

// A wrong password is refused (SQLSTATE 28P01); the right one, given apart from the URL, is accepted.
func TestWrongPasswordIsRefused(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{Password: "s3cret"})
	config, err := pgx.ParseConfig(server.URLWithoutPassword())
	if err != nil {
		t.Fatal(err)
	}
	config.Password = "wrong"
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, config)
	var pgErr *pgconn.PgError
	if err == nil {
		_ = conn.Close(ctx)
	}
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("connect with a wrong password: %v; want SQLSTATE 28P01", err)
	}
	config.Password = server.Password()
	conn, err = pgx.ConnectConfig(ctx, config)
	if err != nil {
		t.Fatalf("connect with the password: %v", err)
	}
	_ = conn.Close(ctx)
}
