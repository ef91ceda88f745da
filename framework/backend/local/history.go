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

// A run record is a row of run_records: its job, tick, last tick and outcome, and its body (a BLOB, empty
// for a nil body); the row's id is its place in the append order, the commit order of the processes'
// transactions.
const (
	runColumns  = `job, tick_us, last_tick_us, outcome, body`
	newestFirst = `ORDER BY tick_us DESC, id DESC`
	lastRun     = `SELECT ` + runColumns + ` FROM run_records WHERE job = ? AND tick_us >= ? ` + newestFirst + ` LIMIT 1`
)

// AppendRuns implements contract.RunHistory.AppendRuns: it inserts records in one transaction of the
// database file (created with its folder when missing) and, in the same transaction, keeps the newest
// Retention.PerJob records of each job of the batch (by tick, then the later inserted) and, at most once a
// minute per client, deletes the records whose tick is older than Retention.MaxAge. Times are kept to the
// microsecond. It returns an error for a record without a job or a negative retention, ctx's error when
// ctx ends first, and an error naming the database file when it cannot be opened or written. The batch
// runs as a few statements of many rows each (see maxBatchRows), not statements per record or job.
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
		return writeRuns(ctx, newRunBatch(l, db, tx), records, retention, now, byAge)
	})
	if err != nil {
		return l.databaseError(ctx, "run history", err)
	}
	if byAge {
		l.markAgeTrimmed(now)
	}
	return nil
}

// writeRuns inserts records and trims what retention no longer keeps (see trimJobs and trimByAge), in b's
// transaction.
func writeRuns(ctx context.Context, b *runBatch, records []contract.RunRecord, retention backend.Retention,
	now time.Time, byAge bool) error {
	if err := b.insertRuns(ctx, records); err != nil {
		return err
	}
	if err := b.trimJobs(ctx, records, retention.PerJob); err != nil {
		return err
	}
	if !byAge {
		return nil
	}
	return trimByAge(ctx, b.tx, now.Add(-retention.MaxAge).UnixMicro())
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
