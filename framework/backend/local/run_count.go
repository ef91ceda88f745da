package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The local backend counts a service's runs (contract.RunLeases.CountRun) in a row of service_run_counts
// of its database, not in the service's state file: the database is what the processes of the host share
// for good (the run history, the job control), and a transaction of it is atomic across them. Ticks are
// kept to the microsecond, as every time of the database.
const (
	selectRunCount = `SELECT count, last_tick_us FROM service_run_counts WHERE service = ?`
	upsertRunCount = `INSERT INTO service_run_counts (service, count, last_tick_us) VALUES (?, ?, ?)
		ON CONFLICT (service) DO UPDATE SET count = excluded.count, last_tick_us = excluded.last_tick_us`
)

// CountRun implements contract.RunLeases.CountRun by rules.RunCount, in one transaction of the database
// file, which takes the write lock as it begins: the processes of the host count one after the other.
// The file (and its folder) is created when missing, except for limit 0, which reads and creates nothing.
// It returns an error for invalid input (rules.ValidateRunCount), ctx's error when ctx ends first, and an
// error naming the database file when it cannot be opened, read or written, or after Close.
func (l *localBackend) CountRun(ctx context.Context, run contract.RunLease, limit int) (int, bool, error) {
	if err := rules.ValidateRunCount(run, limit); err != nil {
		return 0, false, err
	}
	what := fmt.Sprintf("run count of service %q", run.Service)
	if err := ctx.Err(); err != nil {
		return 0, false, fmt.Errorf("%s: %w", what, err)
	}
	db, err := l.database(ctx, limit > 0)
	if err != nil {
		return 0, false, l.databaseError(ctx, what, err)
	}
	if db == nil {
		return 0, false, nil // a read without a database: nothing is counted
	}
	var count int
	var counted bool
	if limit == 0 {
		var current rules.RunCount
		current, err = readRunCount(ctx, db, run.Service)
		count = current.Count
	} else {
		err = inTransaction(ctx, db, func(tx *sql.Tx) error {
			count, counted, err = addRunCount(ctx, tx, run, limit)
			return err
		})
	}
	if err != nil {
		return 0, false, l.databaseError(ctx, what, err)
	}
	return count, counted, nil
}

// addRunCount applies rules.RunCount.Add to service's row in tx for run.Tick (to the µs) and limit, and
// writes the row when the count changed.
func addRunCount(ctx context.Context, tx *sql.Tx, run contract.RunLease, limit int) (int, bool, error) {
	current, err := readRunCount(ctx, tx, run.Service)
	if err != nil {
		return 0, false, err
	}
	next, count, counted := current.Add(time.UnixMicro(run.Tick.UnixMicro()), limit)
	if next.Count == current.Count {
		return count, counted, nil
	}
	if _, err := tx.ExecContext(ctx, upsertRunCount, run.Service, next.Count, next.Last.UnixMicro()); err != nil {
		return 0, false, err
	}
	return count, counted, nil
}

// querier is what readRunCount reads with: the database or a transaction of it.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readRunCount reads service's row: the zero RunCount when it has none.
func readRunCount(ctx context.Context, q querier, service string) (rules.RunCount, error) {
	var count int
	var lastUs int64
	err := q.QueryRowContext(ctx, selectRunCount, service).Scan(&count, &lastUs)
	if errors.Is(err, sql.ErrNoRows) {
		return rules.RunCount{}, nil
	}
	if err != nil {
		return rules.RunCount{}, err
	}
	return rules.RunCount{Count: count, Last: time.UnixMicro(lastUs)}, nil
}
