package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// A process record is a row of process_records: its app id, its body (a BLOB, empty for a nil body) and
// when it expires (µs, by the clock of the process that wrote it).
const (
	liveProcesses = `SELECT app_id, body FROM process_records WHERE expires_us > ? ORDER BY app_id`
	deleteProcess = `DELETE FROM process_records WHERE app_id = ?`
)

// Processes implements contract.ProcessRegistry.Processes: the records not expired by l's clock, ordered by
// app id. With no database file yet, it returns none and creates nothing. Errors as for Heartbeat.
func (l *localBackend) Processes(ctx context.Context) (processes []contract.ProcessRecord, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("process registry: %w", err)
	}
	db, err := l.database(ctx, false)
	if err != nil {
		return nil, l.databaseError(ctx, "process registry", err)
	}
	if db == nil {
		return nil, nil
	}
	processes, err = queryProcesses(ctx, db, l.now())
	if err != nil {
		return nil, l.databaseError(ctx, "process registry", err)
	}
	return processes, nil
}

// queryProcesses reads the records that expire after now.
func queryProcesses(ctx context.Context, db *sql.DB, now time.Time) (processes []contract.ProcessRecord, err error) {
	rows, err := db.QueryContext(ctx, liveProcesses, now.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	for rows.Next() {
		var p contract.ProcessRecord
		if err := rows.Scan(&p.AppID, &p.Body); err != nil {
			return nil, err
		}
		processes = append(processes, p)
	}
	return processes, rows.Err()
}

// Deregister implements contract.ProcessRegistry.Deregister: it deletes appID's record; a missing record,
// or a missing database file (which it does not create), is not an error. It returns an error for an empty
// appID, ctx's error when ctx ends first, and an error naming the database file when it cannot be written.
func (l *localBackend) Deregister(ctx context.Context, appID string) error {
	if appID == "" {
		return errors.New("process registry: deregister of an empty AppID: give the AppID of a process")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("process registry: deregister %q: %w", appID, err)
	}
	db, err := l.database(ctx, false)
	if err != nil {
		return l.databaseError(ctx, "process registry", err)
	}
	if db == nil {
		return nil
	}
	if _, err := db.ExecContext(ctx, deleteProcess, appID); err != nil {
		return l.databaseError(ctx, "process registry", err)
	}
	return nil
}
