package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// Job control is kept in the tables paused, requests, takes and answers; the heartbeat reads the orders
// and deletes what is older than contract.ControlRequestTTL (see Heartbeat). Every method returns ctx's
// error when ctx ends first and an error naming postgres when the call fails, besides the input errors it
// names.

// SetPaused implements contract.JobControl.SetPaused: a pause upserts job's row of paused with note
// (replacing the note of a paused job), a resume deletes it. It returns an error for an empty job; a note
// PostgreSQL's text cannot hold (a NUL byte, bytes that are not UTF-8) is an error of the server.
func (p *pgBackend) SetPaused(ctx context.Context, job string, paused bool, note string) error {
	if job == "" {
		return errors.New("job control: pause or resume of an empty job name: give the name of a cron job")
	}
	if !paused {
		return p.exec(ctx, fmt.Sprintf("job control: resume %q", job), p.sql.resume, job)
	}
	return p.exec(ctx, fmt.Sprintf("job control: pause %q", job), p.sql.pause, job, note)
}

// uniqueViolation is PostgreSQL's SQLSTATE for a key stored already.
const uniqueViolation = "23505"

// AddRequest implements contract.JobControl.AddRequest. It returns an error for a missing ID, Made or
// body (see rules.ValidateControlRequest), or an ID stored already.
func (p *pgBackend) AddRequest(ctx context.Context, request contract.ControlRequest) error {
	if err := rules.ValidateControlRequest(request); err != nil {
		return err
	}
	err := p.exec(ctx, fmt.Sprintf("job control: request %q", request.ID), p.sql.addRequest, request.ID,
		request.Made, request.Body)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation {
		return fmt.Errorf("job control: request %q is stored already: a request's ID must be unique (a random "+
			"UUID)", request.ID)
	}
	return err
}

// TakeRequest implements contract.JobControl.TakeRequest: true for the first taker of id only (the
// request need not be stored). It returns an error for an empty id or appID.
func (p *pgBackend) TakeRequest(ctx context.Context, id, appID string) (bool, error) {
	if id == "" || appID == "" {
		return false, fmt.Errorf("job control: take request %q for app %q: the request id and the app id are required", id, appID)
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	tag, err := p.pool.Exec(ctx, p.sql.takeRequest, id, appID)
	if err != nil {
		return false, p.fail(fmt.Sprintf("job control: take request %q", id), err)
	}
	return tag.RowsAffected() == 1, nil
}

// Paused implements contract.JobControl.Paused: the paused jobs with their notes, job -> note; nil when
// none is paused.
func (p *pgBackend) Paused(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, p.sql.paused)
	if err != nil {
		return nil, p.fail("job control: read the paused jobs", err)
	}
	paused, err := collectPaused(rows)
	if err != nil {
		return nil, p.fail("job control: read the paused jobs", err)
	}
	return paused, nil
}

// collectPaused reads rows of paused (job, note) and closes them: job -> note, nil when there are none.
func collectPaused(rows pgx.Rows) (map[string]string, error) {
	var paused map[string]string
	var job, note string
	_, err := pgx.ForEachRow(rows, []any{&job, &note}, func() error {
		if paused == nil {
			paused = make(map[string]string)
		}
		paused[job] = note
		return nil
	})
	if err != nil {
		return nil, err
	}
	return paused, nil
}

// Answer implements contract.JobControl.Answer: it stores answer after the answers to id so far. It
// returns an error for an empty id, app id or body (see rules.ValidateControlAnswer).
func (p *pgBackend) Answer(ctx context.Context, id string, answer contract.ControlAnswer) error {
	if err := rules.ValidateControlAnswer(id, answer); err != nil {
		return err
	}
	return p.exec(ctx, fmt.Sprintf("job control: answer to request %q", id), p.sql.answer, id, answer.AppID,
		answer.Body)
}

// Answers implements contract.JobControl.Answers: the answers to id, in the order stored; none (nil) for
// an unknown request. It returns an error for an empty id.
func (p *pgBackend) Answers(ctx context.Context, id string) ([]contract.ControlAnswer, error) {
	if id == "" {
		return nil, errors.New("job control: answers to an empty request ID: give the ID of the request")
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, p.sql.answers, id)
	if err != nil {
		return nil, p.fail(fmt.Sprintf("job control: answers to request %q", id), err)
	}
	answers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (contract.ControlAnswer, error) {
		var a contract.ControlAnswer
		err := row.Scan(&a.AppID, &a.Body)
		return a, err
	})
	if err != nil {
		return nil, p.fail(fmt.Sprintf("job control: answers to request %q", id), err)
	}
	return answers, nil
}
