package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// A run record is a row of run_records: its job, tick, last tick and outcome, and its body (a BLOB, empty
// for a nil body); the row's id is its place in the append order, the commit order of the processes'
// transactions.
const (
	runColumns  = `job, tick_us, last_tick_us, outcome, body`
	newestFirst = `ORDER BY tick_us DESC, id DESC`
	insertRun   = `INSERT INTO run_records (` + runColumns + `) VALUES (?, ?, ?, ?, coalesce(?, x''))`
	lastRun     = `SELECT ` + runColumns + ` FROM run_records WHERE job = ? AND tick_us >= ? ` + newestFirst + ` LIMIT 1`
)

// AppendRuns implements contract.RunHistory.AppendRuns: it inserts records in one transaction of the
// database file (created with its folder when missing) and, in the same transaction, keeps the newest
// Retention.PerJob records of each job of the batch (by tick, then the later inserted) and, at most once a
// minute per client, deletes the records whose tick is older than Retention.MaxAge. Times are kept to the
// microsecond. It returns an error for a record without a job or a negative retention, ctx's error when
// ctx ends first, and an error naming the database file when it cannot be opened or written.
func (l *localBackend) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	for i, r := range records {
		if r.Job == "" {
			return fmt.Errorf("run history: record %d of %d (tick %s) has no job name", i, len(records), rules.FormatTime(r.Tick))
		}
	}
	retention, err := l.retention.WithDefaults()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run history: %d records not written: %w", len(records), err)
	}
	if len(records) == 0 {
		return nil
	}
	db, err := l.database(ctx, true)
	if err != nil {
		return l.databaseError(ctx, "run history", err)
	}
	now := l.now()
	byAge := l.ageTrimDue(now)
	err = inTransaction(ctx, db, func(tx *sql.Tx) error {
		return writeRuns(ctx, tx, records, retention, now, byAge)
	})
	if err != nil {
		return l.databaseError(ctx, "run history", err)
	}
	if byAge {
		l.markAgeTrimmed(now)
	}
	return nil
}

// writeRuns inserts records and trims what retention no longer keeps (see trimRuns), in tx.
func writeRuns(ctx context.Context, tx *sql.Tx, records []contract.RunRecord, retention backend.Retention, now time.Time, byAge bool) (err error) {
	statements, err := prepareRunStatements(ctx, tx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, statements.close()) }()
	for _, r := range records {
		_, err := statements.insert.ExecContext(ctx, r.Job, r.Tick.UnixMicro(), r.LastTick.UnixMicro(), string(r.Outcome), r.Body)
		if err != nil {
			return err
		}
	}
	return statements.trimRuns(ctx, tx, records, retention, now, byAge)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanRun reads a row of runColumns; its times are returned in UTC.
func scanRun(row rowScanner) (contract.RunRecord, error) {
	var r contract.RunRecord
	var tick, lastTick int64
	var outcome string
	err := row.Scan(&r.Job, &tick, &lastTick, &outcome, &r.Body)
	r.Tick, r.LastTick, r.Outcome = fromMicros(tick), fromMicros(lastTick), contract.Outcome(outcome)
	return r, err
}

// fromMicros returns the UTC time of us microseconds since the Unix epoch.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
