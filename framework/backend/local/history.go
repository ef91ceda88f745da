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

const (
	runColumns = `job, type, service, tick_us, app_id, hostname, pid, outcome, started_us, finished_us,
		late_ns, error, attempt, count, last_tick_us`
	newestFirst = `ORDER BY tick_us DESC, started_us DESC, id DESC`
	insertRun   = `INSERT INTO runs (` + runColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	lastRun     = `SELECT ` + runColumns + ` FROM runs WHERE job = ? AND tick_us >= ? ` + newestFirst + ` LIMIT 1`
)

// AppendRuns implements contract.RunHistory.AppendRuns: it inserts records in one transaction of the
// database file (created with its folder when missing) and, in the same transaction, keeps the newest
// Retention.PerJob records of each job of the batch (by tick, then started) and, at most once a minute per
// client, deletes the records whose tick is older than Retention.MaxAge. Times are kept to the
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
		_, err := statements.insert.ExecContext(ctx, r.Job, r.Type, r.Service, r.Tick.UnixMicro(), r.AppID,
			r.Hostname, r.PID, r.Outcome, r.Started.UnixMicro(), r.Finished.UnixMicro(), int64(r.Late), rules.CutRunError(r.Error),
			r.Attempt, r.Count, r.LastTick.UnixMicro())
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
	var tick, started, finished, late, lastTick int64
	err := row.Scan(&r.Job, &r.Type, &r.Service, &tick, &r.AppID, &r.Hostname, &r.PID, &r.Outcome, &started,
		&finished, &late, &r.Error, &r.Attempt, &r.Count, &lastTick)
	r.Tick, r.Started, r.Finished, r.LastTick = fromMicros(tick), fromMicros(started), fromMicros(finished), fromMicros(lastTick)
	r.Late = time.Duration(late)
	return r, err
}

// fromMicros returns the UTC time of us microseconds since the Unix epoch.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
