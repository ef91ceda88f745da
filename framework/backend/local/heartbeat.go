package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

const (
	deleteExpired = `DELETE FROM process_records WHERE expires_us <= ?`
	upsertProcess = `INSERT INTO process_records (app_id, body, expires_us) VALUES (?, coalesce(?, x''), ?)
		ON CONFLICT (app_id) DO UPDATE SET body = excluded.body, expires_us = excluded.expires_us`
)

// heartbeatStatements are the statements of a heartbeat, prepared once per open database (a heartbeat runs
// every second; preparing its statements each time about doubled its cost).
type heartbeatStatements struct {
	deleteExpired, upsert, paused, requests *sql.Stmt
}

// Heartbeat implements contract.ProcessRegistry.Heartbeat: in one transaction of the database file
// (created with its folder when missing) it deletes the expired records, inserts record, or replaces the
// record of its AppID, to expire ttl after now by l's clock, and reads the orders: the paused jobs with
// their notes and the requests made at or after now - contract.ControlRequestTTL, oldest first (by made,
// then ID). It returns an error for an empty record.AppID or a ttl under one second, ctx's error when ctx
// ends first, and an error naming the database file when it cannot be opened or written.
func (l *localBackend) Heartbeat(ctx context.Context, record contract.ProcessRecord, ttl time.Duration) (contract.Orders, error) {
	if err := checkHeartbeat(record, ttl); err != nil {
		return contract.Orders{}, err
	}
	if err := ctx.Err(); err != nil {
		return contract.Orders{}, fmt.Errorf("process registry: heartbeat of %q: %w", record.AppID, err)
	}
	db, statements, err := l.heartbeatStatements(ctx)
	if err != nil {
		return contract.Orders{}, l.databaseError(ctx, "process registry", err)
	}
	now := l.now()
	var orders contract.Orders
	err = inTransaction(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, statements.deleteExpired).ExecContext(ctx, now.UnixMicro()); err != nil {
			return err
		}
		_, err := tx.StmtContext(ctx, statements.upsert).ExecContext(ctx, record.AppID, record.Body, now.Add(ttl).UnixMicro())
		if err != nil {
			return err
		}
		orders, err = readOrders(ctx, tx, statements, now.Add(-contract.ControlRequestTTL))
		return err
	})
	if err != nil {
		return contract.Orders{}, l.databaseError(ctx, "process registry", err)
	}
	return orders, nil
}

// checkHeartbeat returns an error for an empty AppID or a ttl under 1s.
func checkHeartbeat(record contract.ProcessRecord, ttl time.Duration) error {
	if record.AppID == "" {
		return errors.New("process registry: heartbeat of a record without an AppID: the AppID is its key")
	}
	if ttl < time.Second {
		return fmt.Errorf("process registry: heartbeat of %q with a ttl of %s: it must be at least 1s", record.AppID, ttl)
	}
	return nil
}

// readOrders reads, in tx, the paused jobs with their notes and the requests made at or after oldest.
func readOrders(ctx context.Context, tx *sql.Tx, statements *heartbeatStatements, oldest time.Time) (contract.Orders, error) {
	rows, err := tx.StmtContext(ctx, statements.paused).QueryContext(ctx)
	if err != nil {
		return contract.Orders{}, err
	}
	paused, err := collectPaused(rows)
	if err != nil {
		return contract.Orders{}, err
	}
	if rows, err = tx.StmtContext(ctx, statements.requests).QueryContext(ctx, oldest.UnixMicro()); err != nil {
		return contract.Orders{}, err
	}
	requests, err := collectRows(rows, scanRequest)
	if err != nil {
		return contract.Orders{}, err
	}
	return contract.Orders{Paused: paused, Requests: requests}, nil
}

// heartbeatStatements returns l's database, opened (created) on first use, and its heartbeat statements,
// prepared on first use and closed by Close.
func (l *localBackend) heartbeatStatements(ctx context.Context) (*sql.DB, *heartbeatStatements, error) {
	db, err := l.database(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	if l.store.db != db { // closed by Close meanwhile
		return nil, nil, errors.New("the database was closed while opened")
	}
	if l.store.heartbeat != nil {
		return db, l.store.heartbeat, nil
	}
	statements := &heartbeatStatements{}
	for _, s := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&statements.deleteExpired, deleteExpired}, {&statements.upsert, upsertProcess}, {&statements.paused, pausedJobs},
		{&statements.requests, liveRequests}} {
		if *s.stmt, err = db.PrepareContext(ctx, s.query); err != nil {
			return nil, nil, errors.Join(err, statements.close())
		}
	}
	l.store.heartbeat = statements
	return db, statements, nil
}

// close closes the prepared statements of s.
func (s *heartbeatStatements) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{s.deleteExpired, s.upsert, s.paused, s.requests} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}
