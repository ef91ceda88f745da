package local

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// AppendRuns writes a batch with statements that each take many rows (records, or jobs) instead of one
// statement per row: a statement's own cost (database/sql, the driver, SQLite's set-up) is about that of
// SQLite's work for a record. A statement of a kind for n rows repeats the kind's row part n times; a batch
// of n rows runs as statements of maxBatchRows rows and of the powers of two that sum to the rest (1000
// rows: 15 of 64, then 32 and 8), so that a connection prepares at most 7 texts of a kind, once: about
// 2 MiB for the 28. 64 rows cost no more per row than 256 (measured) and keep a statement far under
// SQLite's limits: 320 bound parameters of 32766, 64 terms of a compound SELECT of 500.
const maxBatchRows = 64

// batchKind is a statement that AppendRuns runs for many rows at once.
type batchKind int

const (
	insertRunsBatch batchKind = iota // rows: job, tick_us, last_tick_us, outcome, body (nil: empty)
	countRunsBatch                   // rows: job, records to count in (negative: out)
	overRunsBatch                    // perJob, then rows: job; returns the jobs counted over perJob, by how many
	trimRunsBatch                    // rows: job, n; deletes the job's n oldest records, returns the job of each
)

// batchTexts are the parts of the kinds' texts: head, row repeated with sep between rows, tail. The inserts
// are OR FAIL rather than the default ABORT: an error ends the transaction anyway, and SQLite need not then
// journal the pages each statement changes to undo it alone (that journal cost a quarter of a batch of 10
// jobs; the other statements' is kept in memory, see openDatabase). The limits are 0 + ?, not ?: SQLite plans
// with a bare parameter in a LIMIT, and rebinding one numbered over 31 makes it compile the statement again
// at each run (20 times the cost of the statement, for 64 jobs).
var batchTexts = [...]struct{ head, row, sep, tail string }{
	insertRunsBatch: {head: `INSERT OR FAIL INTO run_records (` + runColumns + `) VALUES `,
		row: `(?, ?, ?, ?, coalesce(?, x''))`, sep: `, `},
	countRunsBatch: {head: `INSERT OR FAIL INTO run_record_counts (job, runs) VALUES `, row: `(?, ?)`, sep: `, `,
		tail: ` ON CONFLICT (job) DO UPDATE SET runs = runs + excluded.runs`},
	overRunsBatch: {head: `SELECT job, runs - ?1 FROM run_record_counts WHERE runs > ?1 AND job IN (`,
		row: `?`, sep: `, `, tail: `)`},
	trimRunsBatch: {head: `DELETE FROM run_records WHERE id IN (`,
		row: `SELECT id FROM (SELECT id FROM run_records WHERE job = ? ORDER BY tick_us, id LIMIT 0 + ?)`,
		sep: ` UNION ALL `, tail: `) RETURNING job`},
}

// batchKey names a statement: its kind and how many rows it takes.
type batchKey struct {
	kind batchKind
	rows int
}

// text returns the SQL text of the statement.
func (k batchKey) text() string {
	parts := batchTexts[k.kind]
	var text strings.Builder
	text.WriteString(parts.head)
	for i := range k.rows {
		if i > 0 {
			text.WriteString(parts.sep)
		}
		text.WriteString(parts.row)
	}
	text.WriteString(parts.tail)
	return text.String()
}

// splitRows calls do for the statements of n rows (see maxBatchRows): rows of them starting at row
// start, in order; it returns do's first error.
func splitRows(n int, do func(start, rows int) error) error {
	start := 0
	for ; n-start >= maxBatchRows; start += maxBatchRows {
		if err := do(start, maxBatchRows); err != nil {
			return err
		}
	}
	for size := maxBatchRows / 2; size > 0; size /= 2 {
		if n-start >= size {
			if err := do(start, size); err != nil {
				return err
			}
			start += size
		}
	}
	return nil
}

// batchStatement returns the statement key of db, prepared on first use and closed by Close. database/sql
// prepares it on an idle connection (opening one when the caller's transaction holds the only one), then
// again on each connection a transaction runs it on (runBatch.stmt).
func (l *localBackend) batchStatement(ctx context.Context, db *sql.DB, key batchKey) (*sql.Stmt, error) {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	if l.store.db != db { // closed by Close meanwhile
		return nil, errors.New("the database was closed while opened")
	}
	if stmt := l.store.batches[key]; stmt != nil {
		return stmt, nil
	}
	stmt, err := db.PrepareContext(ctx, key.text())
	if err != nil {
		return nil, err
	}
	if l.store.batches == nil {
		l.store.batches = make(map[batchKey]*sql.Stmt)
	}
	l.store.batches[key] = stmt
	return stmt, nil
}

// closeBatchStatements closes the statements batchStatement prepared; l.store.mu is held.
func (l *localBackend) closeBatchStatements() error {
	var errs []error
	for _, stmt := range l.store.batches {
		errs = append(errs, stmt.Close())
	}
	l.store.batches = nil
	return errors.Join(errs...)
}
