package local

import (
	"context"
	"database/sql"
	"errors"
)

// runBatch is the transaction of an AppendRuns call and the statements (see batchKind) it ran.
type runBatch struct {
	local *localBackend
	db    *sql.DB
	tx    *sql.Tx                // of db
	stmts map[batchKey]*sql.Stmt // of tx, closed by its end
	args  []any                  // reused by the statements' callers: database/sql copies them
}

// newRunBatch returns the batch of transaction tx of l's database db.
func newRunBatch(l *localBackend, db *sql.DB, tx *sql.Tx) *runBatch {
	return &runBatch{local: l, db: db, tx: tx, stmts: make(map[batchKey]*sql.Stmt)}
}

// stmt returns the statement key of the transaction, prepared once per connection of the database.
func (b *runBatch) stmt(ctx context.Context, key batchKey) (*sql.Stmt, error) {
	if stmt := b.stmts[key]; stmt != nil {
		return stmt, nil
	}
	prepared, err := b.local.batchStatement(ctx, b.db, key)
	if err != nil {
		return nil, err
	}
	stmt := b.tx.StmtContext(ctx, prepared)
	b.stmts[key] = stmt
	return stmt, nil
}

// exec runs the statement of kind for rows rows with args (their parameters, in order).
func (b *runBatch) exec(ctx context.Context, kind batchKind, rows int, args []any) error {
	stmt, err := b.stmt(ctx, batchKey{kind, rows})
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, args...)
	return err
}

// query runs the statement of kind for rows rows with args and calls scan for each row it returns; it
// returns the first error of the statement, scan, or closing its rows.
func (b *runBatch) query(ctx context.Context, kind batchKind, rows int, args []any,
	scan func(*sql.Rows) error) (err error) {
	stmt, err := b.stmt(ctx, batchKey{kind, rows})
	if err != nil {
		return err
	}
	result, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, result.Close()) }()
	for result.Next() {
		if err := scan(result); err != nil {
			return err
		}
	}
	return result.Err()
}
