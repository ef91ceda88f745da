package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

const (
	pauseJob = `INSERT INTO paused (job, since_us, note) VALUES (?, ?, ?)
		ON CONFLICT (job) DO UPDATE SET note = excluded.note`
	resumeJob      = `DELETE FROM paused WHERE job = ?`
	pausedJobs     = `SELECT job, note FROM paused`
	insertRequest  = `INSERT INTO request_records (id, made_us, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`
	liveRequests   = `SELECT id, made_us, body FROM request_records WHERE made_us >= ? ORDER BY made_us, id`
	deleteRequests = `DELETE FROM request_records WHERE made_us < ?`
	deleteAnswers  = `DELETE FROM answer_records WHERE stored_us < ?`
	deleteTaken    = `DELETE FROM taken WHERE at_us < ?`
	takeRequest    = `INSERT INTO taken (request_id, app_id, at_us) VALUES (?, ?, ?) ON CONFLICT (request_id) DO NOTHING`
	insertAnswer   = `INSERT INTO answer_records (request_id, seq, app_id, body, stored_us)
		VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM answer_records WHERE request_id = ?1), ?2, ?3, ?4)`
	requestAnswers = `SELECT app_id, body FROM answer_records WHERE request_id = ? ORDER BY seq`
)

// SetPaused implements contract.JobControl.SetPaused: it stores job with note in the paused table (keeping
// when it was first paused, replacing its note) or deletes its row, note and all, for every process of
// the host. Resuming with no database file yet creates nothing; pausing creates the file and its folder.
// It returns an error for an empty job, ctx's error when ctx ends first, and an error naming the database
// file when it cannot be opened or written.
func (l *localBackend) SetPaused(ctx context.Context, job string, paused bool, note string) error {
	if job == "" {
		return errors.New("job control: pause or resume of an empty job name: give the name of a cron job")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("job control: pause or resume %q: %w", job, err)
	}
	db, err := l.database(ctx, paused)
	if err != nil {
		return l.databaseError(ctx, "job control", err)
	}
	if db == nil {
		return nil // resume without a database: nothing is paused
	}
	if paused {
		_, err = db.ExecContext(ctx, pauseJob, job, l.now().UnixMicro(), note)
	} else {
		_, err = db.ExecContext(ctx, resumeJob, job)
	}
	if err != nil {
		return l.databaseError(ctx, "job control", err)
	}
	return nil
}

// AddRequest implements contract.JobControl.AddRequest: in one transaction of the database file (created
// with its folder when missing) it deletes the requests, answers and takes older than
// contract.ControlRequestTTL by l's clock and inserts request, Made kept to the microsecond. It returns an
// error for a missing ID, Made or body (rules.ValidateControlRequest) or an ID already stored, and errors
// as SetPaused.
func (l *localBackend) AddRequest(ctx context.Context, request contract.ControlRequest) error {
	if err := rules.ValidateControlRequest(request); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("job control: request %q: %w", request.ID, err)
	}
	db, err := l.database(ctx, true)
	if err != nil {
		return l.databaseError(ctx, "job control", err)
	}
	cutoff := l.now().Add(-contract.ControlRequestTTL).UnixMicro()
	stored := true
	err = inTransaction(ctx, db, func(tx *sql.Tx) error {
		for _, statement := range []string{deleteRequests, deleteAnswers, deleteTaken} {
			if _, err := tx.ExecContext(ctx, statement, cutoff); err != nil {
				return err
			}
		}
		result, err := tx.ExecContext(ctx, insertRequest, request.ID, request.Made.UnixMicro(), request.Body)
		if err != nil {
			return err
		}
		inserted, err := result.RowsAffected()
		stored = inserted == 1
		return err
	})
	if err != nil {
		return l.databaseError(ctx, "job control", err)
	}
	if !stored {
		return fmt.Errorf("job control: request %q is stored already: a request's ID must be unique (a random UUID)", request.ID)
	}
	return nil
}

// Answer implements contract.JobControl.Answer: it stores answer as the next of request id's answers, to
// be deleted contract.ControlRequestTTL after now by l's clock, in the database file (created with its
// folder when missing). The request need not be stored (it may have expired). It returns an error for an
// empty id, app id or body (rules.ValidateControlAnswer), and errors as SetPaused.
func (l *localBackend) Answer(ctx context.Context, id string, answer contract.ControlAnswer) error {
	if err := rules.ValidateControlAnswer(id, answer); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("job control: answer to request %q: %w", id, err)
	}
	db, err := l.database(ctx, true)
	if err != nil {
		return l.databaseError(ctx, "job control", err)
	}
	_, err = db.ExecContext(ctx, insertAnswer, id, answer.AppID, answer.Body, l.now().UnixMicro())
	if err != nil {
		return l.databaseError(ctx, "job control", err)
	}
	return nil
}

// Answers implements contract.JobControl.Answers: the answers stored for request id, in the order stored;
// none (nil) for an unknown request. With no database file yet, it returns none and creates
// nothing. It returns an error for an empty id, and errors as SetPaused.
func (l *localBackend) Answers(ctx context.Context, id string) ([]contract.ControlAnswer, error) {
	if id == "" {
		return nil, errors.New("job control: answers to an empty request ID: give the ID of the request")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("job control: answers to request %q: %w", id, err)
	}
	db, err := l.database(ctx, false)
	if err != nil {
		return nil, l.databaseError(ctx, "job control", err)
	}
	if db == nil {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, requestAnswers, id)
	if err != nil {
		return nil, l.databaseError(ctx, "job control", err)
	}
	answers, err := collectRows(rows, scanAnswer)
	if err != nil {
		return nil, l.databaseError(ctx, "job control", err)
	}
	return answers, nil
}

// pausedJob is a row of the paused table as read: a job and its note ("" for none).
type pausedJob struct{ job, note string }

// scanPaused reads a row of job, note.
func scanPaused(row rowScanner) (p pausedJob, err error) { return p, row.Scan(&p.job, &p.note) }

// collectPaused reads rows of job, note with scanPaused and closes them: job -> note, nil when none.
func collectPaused(rows *sql.Rows) (map[string]string, error) {
	list, err := collectRows(rows, scanPaused)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	paused := make(map[string]string, len(list))
	for _, p := range list {
		paused[p.job] = p.note
	}
	return paused, nil
}

// scanRequest reads a row of id, made_us, body.
func scanRequest(row rowScanner) (contract.ControlRequest, error) {
	var r contract.ControlRequest
	var made int64
	err := row.Scan(&r.ID, &made, &r.Body)
	r.Made = fromMicros(made)
	return r, err
}

// scanAnswer reads a row of app_id, body.
func scanAnswer(row rowScanner) (contract.ControlAnswer, error) {
	var a contract.ControlAnswer
	err := row.Scan(&a.AppID, &a.Body)
	return a, err
}

// collectRows reads rows with scan and closes them; it returns nil when there are none.
func collectRows[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) (list []T, err error) {
	defer func() { err = errors.Join(err, rows.Close()) }()
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, item)
	}
	return list, rows.Err()
}

// TakeRequest implements contract.JobControl.TakeRequest with one insert into the taken table that does
// nothing when the request was taken already: the first caller's row is the one kept. Errors as SetPaused.
func (l *localBackend) TakeRequest(ctx context.Context, id, appID string) (bool, error) {
	if id == "" || appID == "" {
		return false, fmt.Errorf("job control: take request %q for app %q: the request id and the app id are required", id, appID)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("job control: take request %q: %w", id, err)
	}
	db, err := l.database(ctx, true)
	if err != nil {
		return false, l.databaseError(ctx, "job control", err)
	}
	result, err := db.ExecContext(ctx, takeRequest, id, appID, l.now().UnixMicro())
	if err != nil {
		return false, l.databaseError(ctx, "job control", err)
	}
	inserted, err := result.RowsAffected()
	if err != nil {
		return false, l.databaseError(ctx, "job control", err)
	}
	return inserted == 1, nil
}

// Paused implements contract.JobControl.Paused with one read: job -> note; without a database file nothing
// is paused (and nothing is created). Errors as SetPaused.
func (l *localBackend) Paused(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("job control: read the paused jobs: %w", err)
	}
	db, err := l.database(ctx, false)
	if err != nil {
		return nil, l.databaseError(ctx, "job control", err)
	}
	if db == nil {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, pausedJobs)
	if err != nil {
		return nil, l.databaseError(ctx, "job control", err)
	}
	paused, err := collectPaused(rows)
	if err != nil {
		return nil, l.databaseError(ctx, "job control", err)
	}
	return paused, nil
}
