// Package postgres is the PostgreSQL backend of hade's cron processes (contract.Backend): importing it
// registers it as "postgres", for --distributed=postgres. Claims are decided in the database by the
// server's clock, a batch of claims in one statement; the schema is versioned and migrated by the binary.
// docs/backends.md says when to pick it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
)

// defaultCallTimeout bounds one call to the server (a claim batch, a heartbeat, a history write) when the
// URL sets no statement_timeout, so that no call waits on a server that stopped answering.
const defaultCallTimeout = 2 * time.Second

// maxClaimBatch bounds the claims one statement carries, so that one transaction holds few row locks
// for a short time.
const maxClaimBatch = 500

// pgBackend implements contract.Backend for processes on any number of hosts that share one PostgreSQL
// database (a primary; with a synchronous standby, a failover loses no acknowledged fence). Each service's
// fence is a row of <schema>.fences that is never deleted; claims made at the same time are sent together
// (group commit, claimqueue) as one call of <schema>.claim_ticks, which applies the fence rule to each by
// clock_timestamp() under the row's lock. No session state decides anything: any pooled connection may
// carry any call. A claim whose call failed (its reply may have been lost) is sent again with the same
// tick and app id, which is idempotent, while its hold window is open.
type pgBackend struct {
	pool      *pgxpool.Pool
	queue     *claimqueue.Queue[claimEntry, claimAnswer]
	sql       statements
	schema    string
	address   string   // host:port/database, for messages
	secrets   []string // the password, scrubbed from every message
	retention backend.Retention
	// callTimeout bounds one call: the URL's statement_timeout, else defaultCallTimeout (see callBound).
	callTimeout time.Duration

	releases claimqueue.Releases[claimEntry, claimAnswer] // the last release ReleaseRun queued, by service

	outage *claimqueue.Outage // logs the start and end of an outage

	ageTrimMu   sync.Mutex
	lastAgeTrim time.Time // when this client last trimmed the history by age

	lastExpiry atomic.Int64 // when this client's heartbeat last deleted expired rows (Unix ns); 0: never
}

// openBackend connects to rawURL, checks the server, migrates schema and starts the claim sender.
func openBackend(ctx context.Context, rawURL, schema string, retention backend.Retention,
	logger *slog.Logger) (*pgBackend, error) {
	if err := validateSchema(schema); err != nil {
		return nil, err
	}
	config, secrets, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	callTimeout, err := callBound(config)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), config)
	if err != nil {
		return nil, fmt.Errorf("postgres.Config.URL: %w", scrub(err, secrets))
	}
	p := &pgBackend{pool: pool, sql: newStatements(schema), schema: schema, address: address(config),
		secrets: secrets, retention: retention, callTimeout: callTimeout}
	p.outage = &claimqueue.Outage{Logger: logger, Backend: "postgres", Where: []any{"server", p.address}}
	if err := p.ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if _, err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	p.queue = claimqueue.New(maxClaimBatch, p.send)
	return p, nil
}

// ping checks that the server answers within the connect timeout and accepts the credentials.
func (p *pgBackend) ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return p.fail("cannot connect (postgres.Config.URL)", err)
	}
	return nil
}

// fail returns err, scrubbed of the password, as an error of the backend at p.address doing what.
func (p *pgBackend) fail(what string, err error) error {
	return fmt.Errorf("postgres at %s: %s: %w", p.address, what, scrub(err, p.secrets))
}

// Describe says where the backend is, the server's version and whether it answers now, for `cron state`
// and `cron list`.
func (p *pgBackend) Describe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	started := time.Now()
	var version string
	if err := p.pool.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return fmt.Sprintf("postgres at %s, schema %q: NOT ANSWERING: %v", p.address, p.schema, scrub(err, p.secrets))
	}
	return fmt.Sprintf("postgres at %s, schema %q (PostgreSQL %s, schema version %d): answers (%s)", p.address,
		p.schema, version, len(migrations), time.Since(started).Round(time.Microsecond))
}

// Close stops sending claims (claims waiting fail) and closes the connections.
func (p *pgBackend) Close() error {
	if p.queue == nil {
		return errors.New("postgres: Close of a backend that was not opened")
	}
	p.queue.Close()
	p.pool.Close()
	return nil
}
