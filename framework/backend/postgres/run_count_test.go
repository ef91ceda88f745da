package postgres

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// TestPostgresCountRunMicroseconds: the tick is kept to the µs: the same time.Time re-sent (nanoseconds,
// a monotonic reading, another location) is the tick counted last; one a µs later is another; limit 0
// reads without creating a row.
func TestPostgresCountRunMicroseconds(t *testing.T) {
	url := startServer(t)
	ctx := context.Background()
	p, err := openBackend(ctx, url, freshSchema(), backend.Retention{}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	tick := time.Now()
	if count, counted, err := p.CountRun(ctx, contract.RunLease{Service: "svc", Tick: tick}, 0); err != nil || count != 0 || counted {
		t.Fatalf("CountRun(limit 0) = %d, %t, %v; want 0, false", count, counted, err)
	}
	var rows int
	if err := p.pool.QueryRow(ctx, withSchema("SELECT count(*) FROM {schema}.service_run_counts", p.schema)).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("service_run_counts holds %d rows (%v) after a read; want none", rows, err)
	}
	for i, c := range []struct {
		tick    time.Time
		count   int
		counted bool
	}{{tick, 1, true}, {tick.Round(0).In(time.UTC), 1, true}, {tick.Add(time.Microsecond), 2, true}, {tick.Add(time.Hour), 2, false}} {
		count, counted, err := p.CountRun(ctx, contract.RunLease{Service: "svc", Tick: c.tick}, 2)
		if err != nil || count != c.count || counted != c.counted {
			t.Fatalf("call %d: CountRun = %d, %t, %v; want %d, %t", i, count, counted, err, c.count, c.counted)
		}
	}
}

// An application role granted the documented privileges before an owner migrated the schema to version 3
// has none on service_run_counts: CountRun names the missing privilege (and never the password); once the
// owner grants again, it counts.
func TestPostgresCountRunAfterAnUpgradeByTheOwner(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{})
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	migrateTo(t, server.URL(), "owned", 2)
	grants := "GRANT USAGE ON SCHEMA owned TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA owned TO app; " +
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA owned TO app"
	for _, statement := range []string{"CREATE ROLE app LOGIN PASSWORD 'app-pw-123'", grants} {
		if _, err := admin.Exec(ctx, statement); err != nil {
			t.Fatal(err)
		}
	}
	owner, err := openBackend(ctx, server.URL(), "owned", backend.Retention{}, slog.Default()) // migrates to 3
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	appURL, err := url.Parse(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	appURL.User = url.UserPassword("app", "app-pw-123")
	app, err := openBackend(ctx, appURL.String(), "owned", backend.Retention{}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	run := contract.RunLease{Service: "svc", Tick: time.Now()}
	_, _, err = app.CountRun(ctx, run, 1)
	if err == nil || !strings.Contains(err.Error(), "the role lacks a privilege") || !strings.Contains(err.Error(), "service_run_counts") ||
		strings.Contains(err.Error(), "app-pw-123") {
		t.Fatalf("CountRun without privileges on service_run_counts: %v; want an error naming the missing privilege", err)
	}
	if _, err := admin.Exec(ctx, grants); err != nil {
		t.Fatal(err)
	}
	if count, counted, err := app.CountRun(ctx, run, 1); err != nil || count != 1 || !counted {
		t.Fatalf("CountRun after the grants = %d, %t, %v; want 1, true", count, counted, err)
	}
}
