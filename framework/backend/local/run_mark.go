package local

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The local backend marks a service's ticks as run (contract.RunLeases.MarkRun) in rows of
// service_run_marks of its database, keyed by service and tick (µs), as it counts runs (see CountRun): a
// transaction of the database is atomic across the processes of the host. A service's marks older than
// the retention's MaxAge (by the tick, as the run history's records) are deleted by its next mark.
const (
	trimRunMarks  = `DELETE FROM service_run_marks WHERE service = ? AND tick_us < ?`
	insertRunMark = `INSERT INTO service_run_marks (service, tick_us, holder) VALUES (?, ?, ?)
		ON CONFLICT (service, tick_us) DO NOTHING`
	selectRunMark = `SELECT holder FROM service_run_marks WHERE service = ? AND tick_us = ?`
)

// MarkRun implements contract.RunLeases.MarkRun: in one transaction of the database file (created with its
// folder when missing), which takes the write lock as it begins, it deletes run.Service's marks of ticks
// before l's clock minus the retention's MaxAge, inserts the mark of run.Tick (to the µs) for run.Holder
// unless the tick has one, and reads the tick's holder: marked is whether it is run.Holder. A tick older
// than MaxAge is marked too, and kept until the service's next mark. It returns an error for invalid input
// (rules.ValidateRunLease) or a negative retention, ctx's error when ctx ends first, and an error naming
// the database file when it cannot be opened, read or written, or after Close.
func (l *localBackend) MarkRun(ctx context.Context, run contract.RunLease) (bool, error) {
	if err := rules.ValidateRunLease(run, 0, false); err != nil {
		return false, err
	}
	retention, err := l.retention.WithDefaults()
	if err != nil {
		return false, err
	}
	what := fmt.Sprintf("run mark of service %q", run.Service)
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	db, err := l.database(ctx, true)
	if err != nil {
		return false, l.databaseError(ctx, what, err)
	}
	var marked bool
	err = inTransaction(ctx, db, func(tx *sql.Tx) error {
		marked, err = markRun(ctx, tx, run, l.now(), retention)
		return err
	})
	if err != nil {
		return false, l.databaseError(ctx, what, err)
	}
	return marked, nil
}

// markRun deletes run.Service's marks whose tick is before now minus retention.MaxAge, marks run.Tick (µs)
// for run.Holder unless it is marked, and reports whether run.Holder holds the tick's mark, in tx.
func markRun(ctx context.Context, tx *sql.Tx, run contract.RunLease, now time.Time,
	retention backend.Retention) (bool, error) {
	cutoff := now.Add(-retention.MaxAge).UnixMicro()
	if _, err := tx.ExecContext(ctx, trimRunMarks, run.Service, cutoff); err != nil {
		return false, err
	}
	tick := run.Tick.UnixMicro()
	if _, err := tx.ExecContext(ctx, insertRunMark, run.Service, tick, run.Holder); err != nil {
		return false, err
	}
	var holder string
	if err := tx.QueryRowContext(ctx, selectRunMark, run.Service, tick).Scan(&holder); err != nil {
		return false, err
	}
	return holder == run.Holder, nil
}
