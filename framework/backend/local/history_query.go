package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hadeframe/hade/framework/contract"
)

// Runs implements contract.RunHistory.Runs: the records query selects, newest first (by tick, then the
// later inserted), times in UTC to the microsecond, none whose tick is older than
// Retention.MaxAge. Query.Since selects ticks at or after it, and "missed" records whose LastTick is. With
// no database file yet, it returns no records and creates nothing. It returns an error for a negative
// query.Limit or retention, ctx's error when ctx ends first, and an error naming the database file when
// the file cannot be opened or read (e.g. "file is not a database").
func (l *localBackend) Runs(ctx context.Context, query contract.RunQuery) ([]contract.RunRecord, error) {
	if query.Limit < 0 {
		return nil, fmt.Errorf("run history: limit %d: it must be 0 (no limit) or more", query.Limit)
	}
	db, err := l.readHistory(ctx)
	if err != nil || db == nil {
		return nil, err
	}
	text, args, err := l.runsQuery(query)
	if err != nil {
		return nil, err
	}
	records, err := queryRuns(ctx, db, text, args)
	if err != nil {
		return nil, l.databaseError(ctx, "run history", err)
	}
	return records, nil
}

// readHistory returns the database to read the history from, nil when its file does not exist.
func (l *localBackend) readHistory(ctx context.Context) (*sql.DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	db, err := l.database(ctx, false)
	if err != nil {
		return nil, l.databaseError(ctx, "run history", err)
	}
	return db, nil
}

// runsQuery returns the SQL text and arguments of query, with the retention's age bound.
func (l *localBackend) runsQuery(query contract.RunQuery) (string, []any, error) {
	retention, err := l.retention.WithDefaults()
	if err != nil {
		return "", nil, err
	}
	var text strings.Builder
	text.WriteString(`SELECT ` + runColumns + ` FROM run_records WHERE tick_us >= ?`)
	args := []any{l.now().Add(-retention.MaxAge).UnixMicro()}
	if query.Job != "" {
		text.WriteString(` AND job = ?`)
		args = append(args, query.Job)
	}
	if query.Outcome != "" {
		text.WriteString(` AND outcome = ?`)
		args = append(args, string(query.Outcome))
	}
	if !query.Since.IsZero() {
		text.WriteString(` AND (tick_us >= ? OR last_tick_us >= ?)`)
		args = append(args, query.Since.UnixMicro(), query.Since.UnixMicro())
	}
	text.WriteString(` ` + newestFirst)
	if query.Limit > 0 {
		text.WriteString(` LIMIT ?`)
		args = append(args, query.Limit)
	}
	return text.String(), args, nil
}

// queryRuns runs a query of runColumns and reads every row.
func queryRuns(ctx context.Context, db *sql.DB, text string, args []any) (records []contract.RunRecord, err error) {
	rows, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	for rows.Next() {
		record, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		records = append(records, record)
	}
	return records, rows.Err()
}

// LastRuns implements contract.RunHistory.LastRuns: the newest record of each of jobs (as Runs orders
// them, "missed" included, none older than Retention.MaxAge), keyed by job; a job without one is absent.
// With no database file yet, it returns an empty map and creates nothing. Errors as for Runs.
func (l *localBackend) LastRuns(ctx context.Context, jobs []string) (map[string]contract.RunRecord, error) {
	last := make(map[string]contract.RunRecord, len(jobs))
	retention, err := l.retention.WithDefaults()
	if err != nil {
		return nil, err
	}
	db, err := l.readHistory(ctx)
	if err != nil {
		return nil, err
	}
	if db == nil || len(jobs) == 0 {
		return last, nil
	}
	if err := queryLastRuns(ctx, db, jobs, l.now().Add(-retention.MaxAge).UnixMicro(), last); err != nil {
		return nil, l.databaseError(ctx, "run history", err)
	}
	return last, nil
}

// queryLastRuns adds to last the newest record of each of jobs whose tick is at or after cutoff (µs),
// with one indexed lookup per job.
func queryLastRuns(ctx context.Context, db *sql.DB, jobs []string, cutoff int64, last map[string]contract.RunRecord) (err error) {
	statement, err := db.PrepareContext(ctx, lastRun)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, statement.Close()) }()
	for _, job := range jobs {
		record, err := scanRun(statement.QueryRowContext(ctx, job, cutoff))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return err
		}
		last[job] = record
	}
	return nil
}
