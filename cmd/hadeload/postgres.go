package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/internal/pgserver"
)

// postgresSettings are the settings of the cluster hadeload starts: track_functions counts the calls of
// the backend's functions (claim_ticks, …) in pg_stat_user_functions.
var postgresSettings = map[string]string{"track_functions": "all"}

// startPostgres starts a private PostgreSQL cluster under dir (internal/pgserver: initdb, a free loopback
// port, superuser and database hade, no TLS) that counts its function calls.
func startPostgres(dir string) (*pgserver.Server, error) {
	folder := filepath.Join(dir, "postgres")
	if err := os.Mkdir(folder, 0o700); err != nil {
		return nil, err
	}
	return pgserver.Start(folder, pgserver.Options{Settings: postgresSettings})
}

// postgresCounts are the server's counters that hadeload reads around the window: the transactions
// committed in the database and the calls of each function of the backend's schema.
type postgresCounts struct {
	commits int64
	calls   map[string]int64
}

// minus returns c - other.
func (c postgresCounts) minus(other postgresCounts) postgresCounts {
	difference := postgresCounts{commits: c.commits - other.commits, calls: map[string]int64{}}
	for name, n := range c.calls {
		difference.calls[name] = n - other.calls[name]
	}
	return difference
}

// postgresEvents are the events of a run against the cluster hadeload started: its counters read before
// and after the window.
func (r *loadRun) postgresEvents() []event {
	if r.postgres == nil {
		return nil
	}
	var before postgresCounts
	return []event{
		{at: r.windowStart.Add(-500 * time.Millisecond), do: func() (err error) {
			before, err = readPostgresCounts(r.postgres.URL())
			return err
		}},
		{at: r.windowEnd.Add(-500 * time.Millisecond), do: func() error {
			after, err := readPostgresCounts(r.postgres.URL())
			difference := after.minus(before)
			r.postgresCounts = &difference
			return err
		}},
	}
}

// readPostgresCounts reads the counters of the database of url, on a connection of its own (its commits
// are counted too: two in a run, next to tens of thousands).
func readPostgresCounts(url string) (postgresCounts, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return postgresCounts{}, fmt.Errorf("postgres counters: %w", err)
	}
	defer conn.Close(ctx)
	counts := postgresCounts{calls: map[string]int64{}}
	err = conn.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").
		Scan(&counts.commits)
	if err != nil {
		return counts, fmt.Errorf("postgres pg_stat_database: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT schemaname || '.' || funcname, calls FROM pg_stat_user_functions")
	if err != nil {
		return counts, fmt.Errorf("postgres pg_stat_user_functions: %w", err)
	}
	var name string
	var calls int64
	_, err = pgx.ForEachRow(rows, []any{&name, &calls}, func() error {
		counts.calls[name] += calls
		return nil
	})
	if err != nil {
		return counts, fmt.Errorf("postgres pg_stat_user_functions: %w", err)
	}
	return counts, nil
}

// reportPostgres writes the transactions and function calls of the window, each per executed tick and per
// node per second.
func reportPostgres(out io.Writer, counts postgresCounts, executed, nodes int, window time.Duration) {
	rate := func(n int64) string {
		return fmt.Sprintf("%d (%.4f per executed tick, %.2f per node per second)", n, float64(n)/float64(executed),
			float64(n)/float64(nodes)/window.Seconds())
	}
	fmt.Fprintf(out, "\nPostgreSQL: in the window (the server's statistics, up to about 1 s late):\n")
	fmt.Fprintf(out, "  %-22s %s\n", "transactions committed", rate(counts.commits))
	for _, name := range slices.Sorted(maps.Keys(counts.calls)) {
		if n := counts.calls[name]; n != 0 {
			fmt.Fprintf(out, "  %-22s %s\n", name+" calls", rate(n))
		}
	}
}
