package distributed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// ageTrimInterval is how often a client deletes the runs older than the retention's age; reads skip them
// in between.
const ageTrimInterval = time.Minute

const (
	runColumns = `job, type, service, tick_us, app_id, hostname, pid, outcome, started_us, finished_us,
		late_ns, error, attempt, count, last_tick_us`
	newestFirst = `ORDER BY tick_us DESC, started_us DESC, id DESC`
	insertRun   = `INSERT INTO runs (` + runColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	trimJob     = `DELETE FROM runs WHERE job = ?1 AND id IN
		(SELECT id FROM runs WHERE job = ?1 ` + newestFirst + ` LIMIT -1 OFFSET ?2)`
	trimAge = `DELETE FROM runs WHERE tick_us < ?`
	lastRun = `SELECT ` + runColumns + ` FROM runs WHERE job = ? AND tick_us >= ? ` + newestFirst + ` LIMIT 1`
)

// AppendRuns implements contract.RunHistory.AppendRuns: it inserts records in one transaction of the
// database file (created with its folder when missing) and, in the same transaction, keeps the newest
// Retention.PerJob records of each job of the batch (by tick, then started) and, at most once a minute per
// client, deletes the records whose tick is older than Retention.MaxAge. Times are kept to the
// microsecond. It returns an error for a record without a job or a negative retention, ctx's error when
// ctx ends first, and an error naming the database file when it cannot be opened or written.
func (l *Local) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	for i, r := range records {
		if r.Job == "" {
			return fmt.Errorf("run history: record %d of %d (tick %s) has no job name", i, len(records), formatTime(r.Tick))
		}
	}
	retention, err := l.retention.withDefaults()
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
	trimAgeNow := l.ageTrimDue(now)
	err = inTransaction(ctx, db, func(tx *sql.Tx) error {
		if err := insertRuns(ctx, tx, records); err != nil {
			return err
		}
		return trimRuns(ctx, tx, records, retention, now, trimAgeNow)
	})
	if err != nil {
		return l.databaseError(ctx, "run history", err)
	}
	if trimAgeNow {
		l.markAgeTrimmed(now)
	}
	return nil
}

// ageTrimDue reports whether this client last deleted old runs ageTrimInterval or more before now.
func (l *Local) ageTrimDue(now time.Time) bool {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	return l.store.trimmed.IsZero() || now.Sub(l.store.trimmed) >= ageTrimInterval || now.Before(l.store.trimmed)
}

func (l *Local) markAgeTrimmed(now time.Time) {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	l.store.trimmed = now
}

// insertRuns inserts records with one prepared statement.
func insertRuns(ctx context.Context, tx *sql.Tx, records []contract.RunRecord) (err error) {
	insert, err := tx.PrepareContext(ctx, insertRun)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, insert.Close()) }()
	for _, r := range records {
		_, err := insert.ExecContext(ctx, r.Job, r.Type, r.Service, r.Tick.UnixMicro(), r.AppID, r.Hostname, r.PID,
			r.Outcome, r.Started.UnixMicro(), r.Finished.UnixMicro(), int64(r.Late), r.Error, r.Attempt, r.Count,
			r.LastTick.UnixMicro())
		if err != nil {
			return err
		}
	}
	return nil
}

// trimRuns deletes what retention no longer keeps of the jobs of records, and, when byAge, every record
// whose tick is older than now-retention.MaxAge.
func trimRuns(ctx context.Context, tx *sql.Tx, records []contract.RunRecord, retention Retention, now time.Time, byAge bool) error {
	seen := make(map[string]bool)
	for _, r := range records {
		if seen[r.Job] {
			continue
		}
		seen[r.Job] = true
		if _, err := tx.ExecContext(ctx, trimJob, r.Job, retention.PerJob); err != nil {
			return err
		}
	}
	if !byAge {
		return nil
	}
	_, err := tx.ExecContext(ctx, trimAge, now.Add(-retention.MaxAge).UnixMicro())
	return err
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
