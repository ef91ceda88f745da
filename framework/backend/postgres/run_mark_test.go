package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// TestPostgresMarkRunMicroseconds: the tick is kept to the µs: the same time.Time re-sent (nanoseconds, a
// monotonic reading, another location) is the tick marked; one a µs later is another.
func TestPostgresMarkRunMicroseconds(t *testing.T) {
	p := openUpgraded(t, startServer(t), freshSchema())
	tick := time.Now()
	for i, c := range []struct {
		holder string
		tick   time.Time
		marked bool
	}{{"a", tick, true}, {"a", tick.Round(0).In(time.UTC), true}, {"b", tick.Round(0).In(time.UTC), false},
		{"b", tick.Add(time.Microsecond), true}} {
		run := contract.RunLease{Service: "svc", Holder: c.holder, Tick: c.tick}
		if marked, err := p.MarkRun(context.Background(), run); err != nil || marked != c.marked {
			t.Fatalf("call %d: MarkRun(%+v) = %t, %v; want %t", i, run, marked, err, c.marked)
		}
	}
}

// TestPostgresMarkRunKeepsMarksForMaxAge: a mark is kept while its tick is within the retention's MaxAge;
// a mark older is deleted by the service's next mark (and then another holder marks its tick), not by
// another service's.
func TestPostgresMarkRunKeepsMarksForMaxAge(t *testing.T) {
	p := openRetained(t, startServer(t), freshSchema(), backend.Retention{PerJob: 1000, MaxAge: time.Hour})
	now := time.Now().Truncate(time.Microsecond)
	old, kept := now.Add(-2*time.Hour), now.Add(-50*time.Minute)
	for i, c := range []struct {
		service, holder string
		tick            time.Time
		marked          bool
	}{{"other", "a", old, true}, {"svc", "a", old, true}, {"svc", "a", kept, true}, {"svc", "b", kept, false},
		{"svc", "b", old, true}} {
		run := contract.RunLease{Service: c.service, Holder: c.holder, Tick: c.tick}
		if marked, err := p.MarkRun(context.Background(), run); err != nil || marked != c.marked {
			t.Fatalf("call %d: MarkRun(%+v) = %t, %v; want %t", i, run, marked, err, c.marked)
		}
	}
	want := fmt.Sprintf("other a %s; svc b %s; svc a %s", old.UTC(), old.UTC(), kept.UTC())
	if marks := markRows(t, p); marks != want {
		t.Fatalf("service_run_marks holds %s; want %s (other's old mark, b's new mark of old, a's kept one)", marks,
			want)
	}
}

// TestPostgresMarkRunTrimsConcurrently: clients marking ticks older than MaxAge of one service at once,
// each mark deleting the others' (a trim skips the marks another call deletes), never fail.
func TestPostgresMarkRunTrimsConcurrently(t *testing.T) {
	url, schema := startServer(t), freshSchema()
	old := time.Now().Add(-2 * time.Hour).Truncate(time.Microsecond)
	var wg sync.WaitGroup
	for c := range 4 {
		p := openRetained(t, url, schema, backend.Retention{PerJob: 1000, MaxAge: time.Hour})
		wg.Go(func() {
			for i := range 25 {
				run := contract.RunLease{Service: "svc", Holder: fmt.Sprint("app-", c), Tick: old.Add(time.Duration(i) *
					time.Millisecond)}
				if _, err := p.MarkRun(context.Background(), run); err != nil {
					t.Errorf("MarkRun(%+v): %v", run, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// An application role granted the documented privileges before an owner migrated the schema to version 5
// has none on service_run_marks: MarkRun names the missing privilege (and never the password); once the
// owner grants again, it marks.
func TestPostgresMarkRunAfterAnUpgradeByTheOwner(t *testing.T) {
	app, grantAgain := appBeforeUpgrade(t, 4)
	run := contract.RunLease{Service: "svc", Holder: "app", Tick: time.Now()}
	_, err := app.MarkRun(context.Background(), run)
	checkPrivilegeError(t, "MarkRun", "service_run_marks", err)
	grantAgain()
	if marked, err := app.MarkRun(context.Background(), run); err != nil || !marked {
		t.Fatalf("MarkRun after the grants = %t, %v; want true", marked, err)
	}
}

// markRows returns the rows of p's service_run_marks as "service holder tick" (UTC), "; "-separated, in
// service and tick order.
func markRows(t *testing.T, p *pgBackend) string {
	t.Helper()
	rows, err := p.pool.Query(context.Background(), withSchema(`SELECT service, holder, tick
		FROM {schema}.service_run_marks ORDER BY service COLLATE "C", tick`, p.schema))
	if err != nil {
		t.Fatal(err)
	}
	marks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (string, error) {
		var service, holder string
		var tick time.Time
		err := row.Scan(&service, &holder, &tick)
		return fmt.Sprint(service, " ", holder, " ", tick.UTC()), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(marks, "; ")
}
