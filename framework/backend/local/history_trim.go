package local

import (
	"context"
	"database/sql"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// ageTrimInterval is how often a client deletes the runs older than the retention's age; reads skip them
// in between.
const ageTrimInterval = time.Minute

// The trims keep run_record_counts equal to the rows of each job, so that a trim costs what it deletes; the
// counts and trims of a batch's jobs run as batch statements (countRunsBatch, overRunsBatch, trimRunsBatch).
const (
	uncountOld = `UPDATE run_record_counts SET runs = runs -
		(SELECT count(*) FROM run_records WHERE run_records.job = run_record_counts.job AND tick_us < ?1)`
	trimAge         = `DELETE FROM run_records WHERE tick_us < ?1`
	dropEmptyCounts = `DELETE FROM run_record_counts WHERE runs <= 0 AND ?1 IS NOT NULL`
)

// jobRuns is a number of records of a job: added, counted, to delete or deleted.
type jobRuns struct {
	job  string
	runs int
}

// trimJobs counts the records of each job of records (just inserted) into run_record_counts and, for the
// jobs that have more than perJob records then, deletes their oldest (by tick, then the earlier inserted)
// beyond perJob and counts them out.
func (b *runBatch) trimJobs(ctx context.Context, records []contract.RunRecord, perJob int) error {
	added := addedRuns(records)
	if err := b.countRuns(ctx, added, 1); err != nil {
		return err
	}
	over, err := b.overRuns(ctx, added, perJob)
	if err != nil || len(over) == 0 {
		return err
	}
	trimmed, err := b.deleteOldest(ctx, over)
	if err != nil {
		return err
	}
	return b.countRuns(ctx, trimmed, -1)
}

// addedRuns returns the records of each job of records, the jobs in the order they first appear.
func addedRuns(records []contract.RunRecord) []jobRuns {
	index := make(map[string]int)
	var added []jobRuns
	for _, r := range records {
		i, ok := index[r.Job]
		if !ok {
			i = len(added)
			index[r.Job] = i
			added = append(added, jobRuns{job: r.Job})
		}
		added[i].runs++
	}
	return added
}

// countRuns adds sign (1 or -1) times the records of jobs to their counts in run_record_counts.
func (b *runBatch) countRuns(ctx context.Context, jobs []jobRuns, sign int) error {
	return splitRows(len(jobs), func(start, rows int) error {
		return b.exec(ctx, countRunsBatch, rows, b.jobArgs(jobs[start:start+rows], sign))
	})
}

// overRuns returns the jobs of jobs counted more than perJob records in run_record_counts, and how many more.
func (b *runBatch) overRuns(ctx context.Context, jobs []jobRuns, perJob int) ([]jobRuns, error) {
	var over []jobRuns
	err := splitRows(len(jobs), func(start, rows int) error {
		args := append(b.args[:0], perJob)
		for _, j := range jobs[start : start+rows] {
			args = append(args, j.job)
		}
		b.args = args
		return b.query(ctx, overRunsBatch, rows, args, func(result *sql.Rows) error {
			var o jobRuns
			if err := result.Scan(&o.job, &o.runs); err != nil {
				return err
			}
			over = append(over, o)
			return nil
		})
	})
	return over, err
}

// deleteOldest deletes the over[i].runs oldest records of each job over[i].job and returns how many it
// deleted of each job (fewer than asked when rows of run_records were deleted without being counted out).
func (b *runBatch) deleteOldest(ctx context.Context, over []jobRuns) ([]jobRuns, error) {
	deleted := make(map[string]int, len(over))
	scan := func(rows *sql.Rows) error {
		var job string
		if err := rows.Scan(&job); err != nil {
			return err
		}
		deleted[job]++
		return nil
	}
	err := splitRows(len(over), func(start, rows int) error {
		return b.query(ctx, trimRunsBatch, rows, b.jobArgs(over[start:start+rows], 1), scan)
	})
	if err != nil {
		return nil, err
	}
	counts := make([]jobRuns, 0, len(deleted))
	for _, o := range over {
		if n := deleted[o.job]; n > 0 {
			counts = append(counts, jobRuns{job: o.job, runs: n})
		}
	}
	return counts, nil
}

// jobArgs returns the parameters of rows of jobs, job then sign*runs each, in b.args.
func (b *runBatch) jobArgs(jobs []jobRuns, sign int) []any {
	b.args = b.args[:0]
	for _, j := range jobs {
		b.args = append(b.args, j.job, sign*j.runs)
	}
	return b.args
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
