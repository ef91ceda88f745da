package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver of database/sql, in pure Go: CGO_ENABLED=0 builds work
	sqlite3 "modernc.org/sqlite/lib"
)

// databaseFile is the name of the local backend's database, in its folder: the run history, the process
// registry, the job control, the run counts and the run marks of every cron process of the host.
const databaseFile = "history.sqlite"

// databaseBusyTimeout is how long a statement waits for the write lock that another connection or process
// holds before it fails with "database is locked". Writes are off the tick path, so waiting is cheap.
const databaseBusyTimeout = 10 * time.Second

// schemaMigrations[i] brings a database of schema version i to version i+1; the file's user_version holds
// its version, len(schemaMigrations) is this program's. Times are microseconds since the Unix epoch, UTC (the
// zero time.Time included); durations are nanoseconds. Each migration only adds (tables, indexes, columns
// with a default): a file is upgraded in place, its rows kept, and processes of the older program that
// have it open keep working on it.
var schemaMigrations = []string{schemaRunsAndProcesses, schemaJobControl, schemaRecords, schemaControlRecords,
	schemaPauseNotes, schemaServiceRunCounts, schemaServiceRunMarks}

// schemaRunsAndProcesses (version 1) created the run history and the process registry of the framework's
// first record format, a column per field; since version 3 they are neither read nor written.
const schemaRunsAndProcesses = `
CREATE TABLE IF NOT EXISTS runs (
	id INTEGER PRIMARY KEY,
	job TEXT NOT NULL, type TEXT NOT NULL, service TEXT NOT NULL, tick_us INTEGER NOT NULL,
	app_id TEXT NOT NULL, hostname TEXT NOT NULL, pid INTEGER NOT NULL, outcome TEXT NOT NULL,
	started_us INTEGER NOT NULL, finished_us INTEGER NOT NULL, late_ns INTEGER NOT NULL,
	error TEXT NOT NULL, attempt INTEGER NOT NULL, count INTEGER NOT NULL, last_tick_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job, tick_us DESC, started_us DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_tick ON runs (tick_us DESC, started_us DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_outcome ON runs (outcome, tick_us DESC, started_us DESC, id DESC);
CREATE TABLE IF NOT EXISTS run_counts (job TEXT PRIMARY KEY, runs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS processes (
	app_id TEXT PRIMARY KEY,
	hostname TEXT NOT NULL, pid INTEGER NOT NULL, base_folder TEXT NOT NULL, provider TEXT NOT NULL,
	version TEXT NOT NULL, started_us INTEGER NOT NULL, heartbeat_us INTEGER NOT NULL,
	running TEXT NOT NULL, lost_records INTEGER NOT NULL, expires_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS processes_by_expiry ON processes (expires_us);`

// schemaJobControl (version 2) creates the job control tables (contract.JobControl): the paused jobs, the
// run and kill requests and their answers in the framework's first format, a column per field (since
// version 4 neither read nor written), and which app took each request. Takes are deleted once older than
// contract.ControlRequestTTL (by at_us).
const schemaJobControl = `
CREATE TABLE IF NOT EXISTS paused (job TEXT PRIMARY KEY, since_us INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS requests (
	id TEXT PRIMARY KEY, job TEXT NOT NULL, kind TEXT NOT NULL, made_us INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS requests_by_made ON requests (made_us);
CREATE TABLE IF NOT EXISTS answers (
	request_id TEXT NOT NULL, seq INTEGER NOT NULL, app_id TEXT NOT NULL, outcome TEXT NOT NULL,
	detail TEXT NOT NULL, at_us INTEGER NOT NULL, PRIMARY KEY (request_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_by_at ON answers (at_us);
CREATE TABLE IF NOT EXISTS taken (
	request_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, at_us INTEGER NOT NULL) WITHOUT ROWID;`

// schemaRecords (version 3) creates the run history and the process registry of opaque records, which
// replace runs, run_counts and processes: a row holds what the backend selects, orders and expires a record
// by, and its body, as the framework encoded it. The rows of the old tables, in the framework's previous
// format, stay where they are, unread (drop the tables by hand to reuse their pages). run_record_counts
// holds how many rows of run_records each job has, updated in the transactions that insert or delete
// them, so that trimming a job costs what it deletes, not what it keeps (rows of run_records deleted by
// hand must be counted out of it too).
const schemaRecords = `
CREATE TABLE IF NOT EXISTS run_records (
	id INTEGER PRIMARY KEY,
	job TEXT NOT NULL, tick_us INTEGER NOT NULL, last_tick_us INTEGER NOT NULL, outcome TEXT NOT NULL,
	body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS run_records_by_job ON run_records (job, tick_us DESC, id DESC);
CREATE INDEX IF NOT EXISTS run_records_by_tick ON run_records (tick_us DESC, id DESC);
CREATE INDEX IF NOT EXISTS run_records_by_outcome ON run_records (outcome, tick_us DESC, id DESC);
CREATE TABLE IF NOT EXISTS run_record_counts (job TEXT PRIMARY KEY, runs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS process_records (
	app_id TEXT PRIMARY KEY, body BLOB NOT NULL, expires_us INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS process_records_by_expiry ON process_records (expires_us);`

// schemaControlRecords (version 4) creates the requests and answers of the job control as opaque records,
// which replace requests and answers: a row holds what the backend keys, orders and expires them by, and
// the body, as the framework encoded it. seq numbers a request's answers from 1, in the order stored;
// stored_us is when an answer was stored, by the backend's clock. Requests and answers are deleted once
// older than contract.ControlRequestTTL (by made_us, stored_us). The rows of the old tables, in the
// framework's previous format, stay where they are, unread (a minute's requests at most).
const schemaControlRecords = `
CREATE TABLE IF NOT EXISTS request_records (
	id TEXT PRIMARY KEY, made_us INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS request_records_by_made ON request_records (made_us, id);
CREATE TABLE IF NOT EXISTS answer_records (
	request_id TEXT NOT NULL, seq INTEGER NOT NULL, app_id TEXT NOT NULL, body BLOB NOT NULL,
	stored_us INTEGER NOT NULL, PRIMARY KEY (request_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answer_records_by_stored ON answer_records (stored_us);`

// schemaPauseNotes (version 5) gives each paused job its note (contract.JobControl.SetPaused), "" for none:
// the jobs paused before the upgrade stay paused, without a note. Older programs' statements name their
// columns, so they keep working on the upgraded table (their pauses have no note). ALTER TABLE has no IF
// NOT EXISTS: migrate runs it once, under the write lock (see migrate).
const schemaPauseNotes = `ALTER TABLE paused ADD COLUMN note TEXT NOT NULL DEFAULT ''`

// schemaServiceRunCounts (version 6) creates the runs counted of each service for WithLimitedRuns
// (contract.RunLeases.CountRun): how many, and the tick counted last (µs). It is not run_counts, the
// table of version 1 that counted the rows of runs per job (unused since version 3). A file upgraded from
// an older version has no row: its services have counted no run.
const schemaServiceRunCounts = `
CREATE TABLE IF NOT EXISTS service_run_counts (
	service TEXT PRIMARY KEY, count INTEGER NOT NULL, last_tick_us INTEGER NOT NULL) WITHOUT ROWID;`

// schemaServiceRunMarks (version 7) creates the ticks marked as run of each service
// (contract.RunLeases.MarkRun): a row per service and tick (µs), with the holder that marked it. A
// service's rows older than the retention's MaxAge are deleted by its next mark. A file upgraded from an
// older version has no row: no tick is marked.
const schemaServiceRunMarks = `
CREATE TABLE IF NOT EXISTS service_run_marks (
	service TEXT NOT NULL, tick_us INTEGER NOT NULL, holder TEXT NOT NULL,
	PRIMARY KEY (service, tick_us)) WITHOUT ROWID;`

// localDatabase is the local backend's SQLite database, shared by the processes of the host through
// SQLite's file locks in WAL mode (readers do not wait for the writer; writers wait for each other up to
// databaseBusyTimeout). It is opened on first use; an open that failed is tried again by the next call.
type localDatabase struct {
	mu        sync.Mutex
	db        *sql.DB                // nil until opened
	heartbeat *heartbeatStatements   // of db, nil until prepared
	batches   map[batchKey]*sql.Stmt // of db, the statements of AppendRuns prepared so far
	trimmed   time.Time              // when this client last deleted the runs older than the retention's age
}

// databasePath returns the path of l's database file.
func (l *localBackend) databasePath() string { return filepath.Join(l.folder, databaseFile) }

// database returns l's database, opening it on first use. When the file does not exist, a read (create
// false) gets a nil *sql.DB and creates nothing; a write creates the folder and the file.
func (l *localBackend) database(ctx context.Context, create bool) (*sql.DB, error) {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	if l.closed.Load() {
		return nil, l.errClosed()
	}
	if l.store.db != nil {
		return l.store.db, nil
	}
	path, err := filepath.Abs(l.databasePath())
	if err != nil {
		return nil, err
	}
	mode := "rw" // SQLite's URI mode: open an existing file only
	if create {
		if err := os.MkdirAll(l.folder, 0o750); err != nil {
			return nil, err
		}
		mode = "rwc"
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	db, err := openDatabase(ctx, path, mode)
	if err != nil {
		return nil, err
	}
	l.store.db = db
	return db, nil
}

// openDatabase opens the database file at path (absolute) in SQLite URI mode ("rw" or "rwc") with the busy
// timeout and write transactions that take the write lock when they begin (no deadlocked upgrades), turns
// WAL on and creates the schema when the file does not have them yet.
func openDatabase(ctx context.Context, path, mode string) (*sql.DB, error) {
	query := url.Values{}
	query.Set("mode", mode)
	query.Set("_busy_timeout", fmt.Sprint(databaseBusyTimeout.Milliseconds()))
	query.Set("_synchronous", "NORMAL") // WAL: a power loss may drop the last commits, never corrupts
	query.Set("_txlock", "immediate")
	// Statement journals in memory: AppendRuns' statements of many rows outgrow the 64 KiB SQLite keeps in
	// memory, and wrote the rest to a temporary file (about a fifth of the cost of a batch of 100 jobs).
	query.Add("_pragma", "temp_store(MEMORY)")
	// A page cache of up to 8 MiB a connection, not 2: a batch of 1000 full jobs changes about 2000 pages
	// (two leaves of run_records_by_job a job), which spilled to the WAL before the commit and were read back.
	query.Add("_pragma", "cache_size(-8192)")
	// A checkpoint once the WAL has 4000 pages (16 MiB), not 1000: such a batch passed 1000 at each commit,
	// and checkpointed each time the pages the previous batches had changed too.
	query.Add("_pragma", "wal_autocheckpoint(4000)")
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: query.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if err := retryBusy(ctx, func() error { return prepareSchema(ctx, db) }); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// retryBusy calls try again while it fails with SQLITE_BUSY, for up to databaseBusyTimeout: SQLite answers
// BUSY at once, without the busy timeout, where waiting could deadlock, e.g. while processes that open a
// new file at once turn WAL on.
func retryBusy(ctx context.Context, try func() error) error {
	deadline := time.Now().Add(databaseBusyTimeout)
	for {
		err := try()
		var sqliteErr *sqlite.Error
		if !errors.As(err, &sqliteErr) || sqliteErr.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		timer := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// prepareSchema turns WAL on and creates or upgrades the schema unless the file has them; it refuses a file
// of a newer schema, and a file system where WAL is not available.
func prepareSchema(ctx context.Context, db *sql.DB) error {
	var journal string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&journal); err != nil {
		return err
	}
	if !strings.EqualFold(journal, "wal") {
		return fmt.Errorf("journal mode is %q: SQLite could not turn WAL on (is it a network file system?)", journal)
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	return migrate(ctx, db, version)
}

// migrate brings db from schema version to this program's, in one transaction; it refuses a version newer
// than this program's. The transaction takes the write lock as it begins and reads the version again:
// of processes that read the same old version at once, the first upgrades the file and the others find
// it upgraded (a migration need not be idempotent).
func migrate(ctx context.Context, db *sql.DB, version int) error {
	if err := checkVersion(version); err != nil || version == len(schemaMigrations) {
		return err
	}
	return inTransaction(ctx, db, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return err
		}
		if err := checkVersion(version); err != nil {
			return err
		}
		for _, migration := range schemaMigrations[version:] {
			if _, err := tx.ExecContext(ctx, migration); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(schemaMigrations)))
		return err
	})
}

// checkVersion returns an error for a schema version that is not one of this program's (0 to
// len(schemaMigrations)): one newer than this program's asks for a newer build.
func checkVersion(version int) error {
	switch latest := len(schemaMigrations); {
	case version > latest:
		return fmt.Errorf("schema version %d is newer than this program's (%d): use a newer build", version, latest)
	case version < 0:
		return fmt.Errorf("schema version %d is not one of this program's (0 to %d)", version, latest)
	}
	return nil
}

// inTransaction runs write in one transaction of db, which takes the write lock as it begins, and commits
// it, or rolls it back when write fails.
func inTransaction(ctx context.Context, db *sql.DB, write func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := write(tx); err != nil {
		if rollbackErr := tx.Rollback(); rollbackErr != nil && !errors.Is(rollbackErr, sql.ErrTxDone) {
			return errors.Join(err, rollbackErr)
		}
		return err
	}
	return tx.Commit()
}

// databaseError returns ctx's error when ctx ended, else err named after what ("run history", "process
// registry", "job control") and the database file, with advice when the file is not a readable database.
func (l *localBackend) databaseError(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", what, ctxErr)
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("%s database %s: %w (the file is kept: stop the cron processes and move it away to start an empty one)",
				what, l.databasePath(), err)
		}
	}
	return fmt.Errorf("%s database %s: %w", what, l.databasePath(), err)
}

// Close closes the database of the run history, the process registry and the job control if it is open (a
// later call opens it again). It returns an error naming the file when closing fails. The lock files need no closing.
func (l *localBackend) Close() error {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	l.closed.Store(true)
	if l.store.db == nil {
		return nil
	}
	var err error
	if l.store.heartbeat != nil {
		err = l.store.heartbeat.close()
	}
	err = errors.Join(err, l.closeBatchStatements())
	err = errors.Join(err, l.store.db.Close())
	l.store.db, l.store.heartbeat = nil, nil
	if err != nil {
		return fmt.Errorf("run history database %s: close: %w", l.databasePath(), err)
	}
	return nil
}

// errClosed is the error of a call made after Close.
func (l *localBackend) errClosed() error {
	return fmt.Errorf("local backend %s: closed", l.folder)
}
