package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

const (
	processColumns = `app_id, hostname, pid, base_folder, provider, version, started_us, heartbeat_us, running,
		lost_records`
	liveProcesses = `SELECT ` + processColumns + ` FROM processes WHERE expires_us > ?
		ORDER BY hostname, started_us, app_id`
	deleteProcess = `DELETE FROM processes WHERE app_id = ?`
)

// runningTick is a contract.RunningTick in the running column (a JSON array), times in µs since the epoch.
type runningTick struct {
	Job   string `json:"job"`
	Tick  int64  `json:"tick_us"`
	Since int64  `json:"since_us"`
}

// Processes implements contract.ProcessRegistry.Processes: the records not expired by l's clock, ordered by
// hostname, then started, then app id, times in UTC. With no database file yet, it returns none and
// creates nothing. Errors as for Heartbeat.
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
		var started, heartbeat int64
		var running string
		err := rows.Scan(&p.AppID, &p.Hostname, &p.PID, &p.BaseFolder, &p.Provider, &p.Version, &started,
			&heartbeat, &running, &p.LostRecords)
		if err != nil {
			return nil, err
		}
		p.Started, p.Heartbeat = fromMicros(started), fromMicros(heartbeat)
		if p.Running, err = decodeRunning(running); err != nil {
			return nil, fmt.Errorf("process %q: running column: %w", p.AppID, err)
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

// encodeRunning returns running as the JSON text of the running column.
func encodeRunning(running []contract.RunningTick) (string, error) {
	rows := make([]runningTick, len(running))
	for i, r := range running {
		rows[i] = runningTick{Job: r.Job, Tick: r.Tick.UnixMicro(), Since: r.Since.UnixMicro()}
	}
	text, err := json.Marshal(rows)
	return string(text), err
}

// decodeRunning reads the running column; an empty array is a nil slice.
func decodeRunning(text string) ([]contract.RunningTick, error) {
	var rows []runningTick
	if err := json.Unmarshal([]byte(text), &rows); err != nil {
		return nil, err
	}
	var running []contract.RunningTick
	for _, r := range rows {
		running = append(running, contract.RunningTick{Job: r.Job, Tick: fromMicros(r.Tick), Since: fromMicros(r.Since)})
	}
	return running, nil
}
