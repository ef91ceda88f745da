package postgres

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
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
	app, grantAgain := appBeforeUpgrade(t, 2)
	run := contract.RunLease{Service: "svc", Tick: time.Now()}
	_, _, err := app.CountRun(context.Background(), run, 1)
	checkPrivilegeError(t, "CountRun", "service_run_counts", err)
	grantAgain()
	if count, counted, err := app.CountRun(context.Background(), run, 1); err != nil || count != 1 || !counted {
		t.Fatalf("CountRun after the grants = %d, %t, %v; want 1, true", count, counted, err)
	}
}
