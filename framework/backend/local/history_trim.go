package local

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// ageTrimInterval is how often a client deletes the runs older than the retention's age; reads skip them
// in between.
const ageTrimInterval = time.Minute

// The trims keep run_record_counts equal to the rows of each job, so that a trim costs what it deletes.
const (
	countRuns = `INSERT INTO run_record_counts (job, runs) VALUES (?, ?)
		ON CONFLICT (job) DO UPDATE SET runs = runs + excluded.runs RETURNING runs`
	trimOldest = `DELETE FROM run_records WHERE id IN
		(SELECT id FROM run_records WHERE job = ? ORDER BY tick_us, id LIMIT ?)`
	uncount    = `UPDATE run_record_counts SET runs = runs - ? WHERE job = ?`
	uncountOld = `UPDATE run_record_counts SET runs = runs -
		(SELECT count(*) FROM run_records WHERE run_records.job = run_record_counts.job AND tick_us < ?1)`
	trimAge         = `DELETE FROM run_records WHERE tick_us < ?1`
	dropEmptyCounts = `DELETE FROM run_record_counts WHERE runs <= 0 AND ?1 IS NOT NULL`
)

// runStatements are the statements a batch of runs uses, prepared once per transaction.
type runStatements struct {
	insert, count, trim, uncount *sql.Stmt
}

// prepareRunStatements prepares the statements of a batch in tx.
func prepareRunStatements(ctx context.Context, tx *sql.Tx) (*runStatements, error) {
	s := &runStatements{}
	targets := []**sql.Stmt{&s.insert, &s.count, &s.trim, &s.uncount}
	for i, text := range []string{insertRun, countRuns, trimOldest, uncount} {
		stmt, err := tx.PrepareContext(ctx, text)
		if err != nil {
			return nil, errors.Join(err, s.close())
		}
		*targets[i] = stmt
	}
	return s, nil
}

// close closes the statements prepared.
func (s *runStatements) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{s.insert, s.count, s.trim, s.uncount} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// trimRuns keeps the newest retention.PerJob records of each job of records (just inserted) and, when
// byAge, deletes every record whose tick is older than now-retention.MaxAge.
func (s *runStatements) trimRuns(ctx context.Context, tx *sql.Tx, records []contract.RunRecord, retention backend.Retention, now time.Time, byAge bool) error {
	added := make(map[string]int)
	var jobs []string
	for _, r := range records {
		if added[r.Job] == 0 {
			jobs = append(jobs, r.Job)
		}
		added[r.Job]++
	}
	for _, job := range jobs {
		if err := s.trimJob(ctx, job, added[job], retention.PerJob); err != nil {
			return err
		}
	}
	if !byAge {
		return nil
	}
	return trimByAge(ctx, tx, now.Add(-retention.MaxAge).UnixMicro())
}

// trimJob counts added new records of job in run_record_counts and deletes its oldest records beyond perJob.
func (s *runStatements) trimJob(ctx context.Context, job string, added, perJob int) error {
	var runs int
	if err := s.count.QueryRowContext(ctx, job, added).Scan(&runs); err != nil {
		return err
	}
	if runs <= perJob {
		return nil
	}
	result, err := s.trim.ExecContext(ctx, job, runs-perJob)
	if err != nil {
		return err
	}
	deleted, err := result.RowsAffected()
	if err != nil {
		return err
	}
	_, err = s.uncount.ExecContext(ctx, deleted, job)
	return err
}

// trimByAge deletes the records whose tick is before cutoff (µs) and counts them out of run_record_counts.
func trimByAge(ctx context.Context, tx *sql.Tx, cutoff int64) error {
	for _, statement := range []string{uncountOld, trimAge, dropEmptyCounts} {
		if _, err := tx.ExecContext(ctx, statement, cutoff); err != nil {
			return err
		}
	}
	return nil
}

// ageTrimDue reports whether this client last deleted old runs ageTrimInterval or more before now (or
// after now: the clock went back).
func (l *localBackend) ageTrimDue(now time.Time) bool {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	return l.store.trimmed.IsZero() || now.Sub(l.store.trimmed) >= ageTrimInterval || now.Before(l.store.trimmed)
}

// markAgeTrimmed notes that this client deleted the old runs at now.
func (l *localBackend) markAgeTrimmed(now time.Time) {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	l.store.trimmed = now
}
