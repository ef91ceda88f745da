package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// migrateTo makes schema at the server of rawURL as a binary of version did: migrations 1 to version, each
// recorded in schema_migrations.
func migrateTo(t *testing.T, rawURL, schema string, version int) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p := &pgBackend{pool: pool, schema: schema, address: "test"}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for v := 1; v <= version; v++ {
			if err := p.apply(ctx, tx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("schema %s at version %d: %v", schema, version, err)
	}
}

// A schema of version 1 (before pause notes) with paused jobs is migrated on open: its jobs stay paused,
// without a note, new pauses keep theirs, and the statements of a version 1 binary (a process still
// running it) keep working on the upgraded table; schema_migrations holds every version once.
func TestPostgresMigratesPausedJobs(t *testing.T) {
	url := startServer(t)
	ctx := context.Background()
	schema := freshSchema()
	migrateTo(t, url, schema, 1)
	pool := connectPool(t, url)
	oldPause := withSchema(`INSERT INTO {schema}.paused (job) VALUES ($1) ON CONFLICT (job) DO NOTHING`, schema)
	if _, err := pool.Exec(ctx, oldPause, "paused-before"); err != nil {
		t.Fatal(err)
	}
	p := openUpgraded(t, url, schema)
	if err := p.SetPaused(ctx, "paused-after", true, "by ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, oldPause, "paused-by-old-binary"); err != nil {
		t.Fatalf("a version 1 binary's pause on the upgraded table: %v", err)
	}
	want := map[string]string{"paused-before": "", "paused-after": "by ana", "paused-by-old-binary": ""}
	checkPostgresPaused(t, p, want)
	oldPaused := withSchema(`SELECT job FROM {schema}.paused ORDER BY job COLLATE "C"`, schema)
	rows, err := pool.Query(ctx, oldPaused)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(jobs, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("a version 1 binary's read of the paused jobs = %v, %v; want %v", jobs, err, slices.Sorted(maps.Keys(want)))
	}
	checkSchemaVersions(t, pool, schema)
}

// checkPostgresPaused checks that Paused and a heartbeat of p read the paused jobs want.
func checkPostgresPaused(t *testing.T, p *pgBackend, want map[string]string) {
	t.Helper()
	ctx := context.Background()
	if paused, err := p.Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused = %q, %v; want %q", paused, err, want)
	}
	orders, err := p.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte("{}")}, time.Minute)
	if err != nil || !maps.Equal(orders.Paused, want) {
		t.Fatalf("the heartbeat's paused jobs = %q, %v; want %q", orders.Paused, err, want)
	}
}

// checkSchemaVersions checks that schema_migrations of schema holds the versions 1 to len(migrations)
// (5: the initial schema, the pause notes, the run counts, the run queues and the run marks), each once.
func checkSchemaVersions(t *testing.T, pool *pgxpool.Pool, schema string) {
	t.Helper()
	rows, err := pool.Query(context.Background(), withSchema("SELECT version FROM {schema}.schema_migrations ORDER BY version", schema))
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || fmt.Sprint(versions) != "[1 2 3 4 5]" || len(migrations) != 5 {
		t.Fatalf("schema_migrations holds %v (%v), the binary has %d migrations; want [1 2 3 4 5] and 5", versions,
			err, len(migrations))
	}
}

// A schema of version 2 with a run history (and so rows of run_counts, the rows of runs per job) is
// migrated on open: runs are counted from none, in service_run_counts, and run_counts is left alone.
func TestPostgresMigratesRunCounts(t *testing.T) {
	url := startServer(t)
	ctx := context.Background()
	schema := freshSchema()
	migrateTo(t, url, schema, 2)
	pool := connectPool(t, url)
	oldCount := withSchema(`INSERT INTO {schema}.run_counts (job, runs) VALUES ('svc', 7)`, schema)
	if _, err := pool.Exec(ctx, oldCount); err != nil {
		t.Fatal(err)
	}
	p := openUpgraded(t, url, schema)
	run := contract.RunLease{Service: "svc", Holder: "app", Tick: time.Now()}
	for _, limit := range []int{0, 2, 2} {
		count, counted, err := p.CountRun(ctx, run, limit)
		if want := min(limit, 1); err != nil || count != want || counted != (limit > 0) {
			t.Fatalf("CountRun(limit %d) on an upgraded schema = %d, %t, %v; want %d, %t", limit, count, counted, err, want, limit > 0)
		}
	}
	var runs int
	if err := pool.QueryRow(ctx, withSchema(`SELECT runs FROM {schema}.run_counts WHERE job = 'svc'`, schema)).Scan(&runs); err != nil || runs != 7 {
		t.Fatalf("run_counts of svc = %d, %v after a count; want its 7, left alone", runs, err)
	}
	checkSchemaVersions(t, pool, schema)
}

// A schema of version 3 whose run lease a version 3 binary holds (acquire_run) is migrated on open: no tick
// waits, a tick queued waits behind that binary's run, and is taken once that binary's release (claim_ticks)
// freed the lease.
func TestPostgresMigratesRunQueues(t *testing.T) {
	url := startServer(t)
	ctx := context.Background()
	schema := freshSchema()
	migrateTo(t, url, schema, 3)
	pool := connectPool(t, url)
	tick := time.Now().Truncate(time.Microsecond)
	old := contract.RunLease{Service: "svc", Holder: "old", Tick: tick.Add(-time.Second)}
	oldAcquire := withSchema(`SELECT o_holder FROM {schema}.acquire_run($1, $2, $3, $4)`, schema)
	var holder string
	if err := pool.QueryRow(ctx, oldAcquire, old.Service, old.Holder, old.Tick, time.Minute.Microseconds()).
		Scan(&holder); err != nil || holder != old.Holder {
		t.Fatalf("a version 3 binary's acquire_run = %q, %v; want it held by %q", holder, err, old.Holder)
	}
	p := openUpgraded(t, url, schema)
	run := contract.RunLease{Service: "svc", Holder: "new", Tick: tick}
	taken, waiting, err := p.QueueRun(ctx, run, 10, time.Minute)
	if err != nil || !sameRun(taken, old) || len(waiting) != 1 {
		t.Fatalf("QueueRun on an upgraded schema = %+v, %v, %v; want queued behind %+v", taken, waiting, err, old)
	}
	oldRelease := withSchema(`SELECT o_code FROM {schema}.claim_ticks(ARRAY['release'], ARRAY[$1], ARRAY[$2],
		ARRAY[$3::timestamptz], ARRAY[0::bigint], ARRAY[''], ARRAY[$3::timestamptz], ARRAY[0::bigint])`, schema)
	var code string
	if err := pool.QueryRow(ctx, oldRelease, old.Service, old.Holder, old.Tick).Scan(&code); err != nil ||
		code != "released" {
		t.Fatalf("a version 3 binary's release = %q, %v; want released", code, err)
	}
	taken, waiting, err = p.QueueRun(ctx, run, 0, time.Minute)
	if err != nil || !sameRun(taken, run) || len(waiting) != 0 {
		t.Fatalf("the take after the release = %+v, %v, %v; want %+v, none waiting", taken, waiting, err, run)
	}
	checkSchemaVersions(t, pool, schema)
}

// A schema of version 4 whose run lease and queue a version 4 binary uses (queue_run) is migrated on open:
// no tick is marked, the first holder to mark one keeps it, and the version 4 binary's queue_run keeps
// working beside the marks.
func TestPostgresMigratesRunMarks(t *testing.T) {
	url := startServer(t)
	ctx := context.Background()
	schema := freshSchema()
	migrateTo(t, url, schema, 4)
	pool := connectPool(t, url)
	tick := time.Now().Truncate(time.Microsecond)
	oldQueue := withSchema(`SELECT o_holder FROM {schema}.queue_run($1, $2, $3, 10, $4)`, schema)
	var holder string
	queue := func() error {
		return pool.QueryRow(ctx, oldQueue, "svc", "old", tick, time.Minute.Microseconds()).Scan(&holder)
	}
	if err := queue(); err != nil || holder != "old" {
		t.Fatalf("a version 4 binary's queue_run = %q, %v; want it taken by old", holder, err)
	}
	p := openUpgraded(t, url, schema)
	for i, c := range []struct {
		holder string
		marked bool
	}{{"new", true}, {"old", false}, {"new", true}} {
		run := contract.RunLease{Service: "svc", Holder: c.holder, Tick: tick}
		if marked, err := p.MarkRun(ctx, run); err != nil || marked != c.marked {
			t.Fatalf("call %d: MarkRun(%+v) on an upgraded schema = %t, %v; want %t", i, run, marked, err, c.marked)
		}
	}
	if err := queue(); err != nil || holder != "old" {
		t.Fatalf("a version 4 binary's re-sent queue_run on the upgraded schema = %q, %v; want old's", holder, err)
	}
	checkSchemaVersions(t, pool, schema)
}

// connectPool returns a pool of url, closed when the test ends: the statements of an older binary.
func connectPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// openUpgraded opens the backend on schema, which migrates it to the binary's version, closed when the test
// ends.
func openUpgraded(t *testing.T, url, schema string) *pgBackend {
	t.Helper()
	return openRetained(t, url, schema, backend.Retention{})
}

// openRetained is openUpgraded with retention as the run history's bounds, as given (no defaults applied).
func openRetained(t *testing.T, url, schema string, retention backend.Retention) *pgBackend {
	t.Helper()
	p, err := openBackend(context.Background(), url, schema, retention, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// A schema of the previous version (every migration but the binary's last) migrated by 5 clients opening
// the backend at once, each with a pool of its own (sessions of their own, as processes have), while the
// test holds the migration's lock for 500 ms: the last migration is applied once, and schema_migrations
// holds every version once. The URL's statement_timeout of 100 ms, shorter than the wait for the lock, is
// lifted by the migration (the test fails without that).
func TestPostgresMigrationFromThePreviousVersionByFiveAtOnce(t *testing.T) {
	url := startServer(t)
	schema := freshSchema()
	migrateTo(t, url, schema, len(migrations)-1)
	holder, err := connectPool(t, url).Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(context.Background(), "SELECT pg_advisory_xact_lock($1)", migrationLock(schema)); err != nil {
		t.Fatal(err)
	}
	opened := make([]*pgBackend, 5)
	errs := make([]error, len(opened))
	var wg sync.WaitGroup
	for i := range opened {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opened[i], errs[i] = openBackend(context.Background(), url+"&statement_timeout=100ms", schema,
				backend.Retention{}, slog.Default())
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := holder.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, p := range opened {
		if errs[i] != nil {
			t.Errorf("client %d: %v", i, errs[i])
			continue
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}
	checkSchemaVersions(t, connectPool(t, url), schema)
}
