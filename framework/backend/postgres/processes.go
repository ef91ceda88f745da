package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/framework/contract"
)

// expiryInterval is how often a client's heartbeat deletes the expired process records, requests, takes
// and answers: reads skip expired rows by the server's clock, so the delete only keeps the tables small.
const expiryInterval = time.Minute

// Heartbeat implements contract.ProcessRegistry.Heartbeat in one round trip (a pipeline of statements):
// it stores record to expire ttl from now by the server's clock (replacing the record of its AppID),
// reads the orders and, once per expiryInterval, deletes the expired records and the requests, takes and
// answers older than contract.ControlRequestTTL. It returns an error for an empty record.AppID or a
// ttl under one second, ctx's error when ctx ends first, and an error naming postgres when it fails.
func (p *pgBackend) Heartbeat(ctx context.Context, record contract.ProcessRecord, ttl time.Duration) (contract.Orders, error) {
	switch {
	case record.AppID == "":
		return contract.Orders{}, errors.New("process registry: heartbeat of a record without an AppID: the AppID is its key")
	case ttl < time.Second:
		return contract.Orders{}, fmt.Errorf("process registry: heartbeat of %q with a ttl of %s: it must be at least 1s", record.AppID, ttl)
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	batch := &pgx.Batch{}
	batch.Queue(p.sql.heartbeat, record.AppID, nonNil(record.Body), ttl.Microseconds())
	if p.expiryDue(time.Now()) {
		batch.Queue(p.sql.expireProcesses)
		batch.Queue(p.sql.expireControl, contract.ControlRequestTTL.Microseconds())
	}
	paused := batch.Queue(p.sql.paused)
	requests := batch.Queue(p.sql.orders, contract.ControlRequestTTL.Microseconds())
	var orders contract.Orders
	paused.Query(func(rows pgx.Rows) error {
		var err error
		orders.Paused, err = collectPaused(rows)
		return err
	})
	requests.Query(func(rows pgx.Rows) error {
		var err error
		orders.Requests, err = pgx.CollectRows(rows, scanRequest)
		return err
	})
	if err := p.pool.SendBatch(ctx, batch).Close(); err != nil {
		return contract.Orders{}, p.fail(fmt.Sprintf("process registry: heartbeat of %q", record.AppID), err)
	}
	return orders, nil
}

// expiryDue reports whether the heartbeat at now deletes expired rows: the first one, then one per
// expiryInterval (the caller that swaps the time does it).
func (p *pgBackend) expiryDue(now time.Time) bool {
	last := p.lastExpiry.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < expiryInterval {
		return false
	}
	return p.lastExpiry.CompareAndSwap(last, now.UnixNano())
}

// scanRequest reads a row of requests: id, made, body.
func scanRequest(row pgx.CollectableRow) (contract.ControlRequest, error) {
	var r contract.ControlRequest
	err := row.Scan(&r.ID, &r.Made, &r.Body)
	return r, err
}

// Processes implements contract.ProcessRegistry.Processes: the records not expired by the server's
// clock. Errors as Heartbeat's.
func (p *pgBackend) Processes(ctx context.Context) ([]contract.ProcessRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, p.sql.processes)
	if err != nil {
		return nil, p.fail("process registry: list", err)
	}
	records, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (contract.ProcessRecord, error) {
		var r contract.ProcessRecord
		err := row.Scan(&r.AppID, &r.Body)
		return r, err
	})
	if err != nil {
		return nil, p.fail("process registry: list", err)
	}
	return records, nil
}

// Deregister implements contract.ProcessRegistry.Deregister: it deletes appID's record; a missing record
// is not an error. It returns an error for an empty appID, and errors as Heartbeat's.
func (p *pgBackend) Deregister(ctx context.Context, appID string) error {
	if appID == "" {
		return errors.New("process registry: deregister of an empty AppID: give the AppID of a process")
	}
	return p.exec(ctx, fmt.Sprintf("process registry: deregister %q", appID), p.sql.deregister, appID)
}

// exec runs statement with args in one call bounded by p.callTimeout; the error names postgres and what.
func (p *pgBackend) exec(ctx context.Context, what, statement string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	if _, err := p.pool.Exec(ctx, statement, args...); err != nil {
		return p.fail(what, err)
	}
	return nil
}
