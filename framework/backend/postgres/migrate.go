package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migrationFiles are the schema's versions: migrations/NNN_name.sql makes version NNN from NNN-1, with
// {schema} standing for the quoted schema name.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the texts of migrationFiles, version i+1 at index i.
var migrations = loadMigrations()

// loadMigrations reads migrationFiles in version order; it panics when their numbers are not 1, 2, …:
// the files are compiled in, so that is a programming error found by every test.
func loadMigrations() []string {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	texts := make([]string, len(names))
	for i, name := range names { // fs.Glob sorts: 001_…, 002_…
		text, readErr := migrationFiles.ReadFile(name)
		number, numberErr := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if readErr != nil || numberErr != nil || number != i+1 {
			panic(fmt.Sprintf("postgres: migration %s is not version %d: %v %v", name, i+1, readErr, numberErr))
		}
		texts[i] = string(text)
	}
	return texts
}

// validSchema is what postgres.Config.Schema accepts: an unquoted identifier that needs no quoting.
var validSchema = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// validateSchema returns an error naming postgres.Config.Schema when schema is not valid.
func validateSchema(schema string) error {
	if !validSchema.MatchString(schema) {
		return fmt.Errorf("postgres schema %q (postgres.Config.Schema) is invalid: valid: 1 to 63 lower-case "+
			"ASCII letters, digits and '_', not starting with a digit, e.g. hade", schema)
	}
	return nil
}

// withSchema returns text with {schema} replaced by schema, quoted.
func withSchema(text, schema string) string {
	return strings.ReplaceAll(text, "{schema}", pgx.Identifier{schema}.Sanitize())
}

// migrate brings p's schema to the binary's version, len(migrations), in one transaction under an
// advisory lock on the schema's name, so that of many processes starting at once one applies each
// missing migration and the others then find the schema current; the lock ends with the transaction. It
// returns the version found before, and an error naming both versions when the schema is newer than the
// binary, or naming the missing privilege when the role may not create or read the schema.
func (p *pgBackend) migrate(ctx context.Context) (int, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, p.fail("migrate the schema", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // after Commit: ErrTxClosed, nothing to undo
	// a statement_timeout in the URL bounds the calls of the cron path, not the wait for another process's
	// migration nor the migration's DDL
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return 0, p.fail("migrate the schema", err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock(p.schema)); err != nil {
		return 0, p.fail("lock the schema's migration", err)
	}
	found, err := p.schemaVersion(ctx, tx)
	if err != nil {
		return 0, err
	}
	if found > len(migrations) {
		return found, fmt.Errorf("postgres at %s: schema %q is at version %d, newer than this binary's "+
			"version %d: run a binary of version %d or later, or point postgres.Config.Schema at another schema",
			p.address, p.schema, found, len(migrations), found)
	}
	for version := found + 1; version <= len(migrations); version++ {
		if err := p.apply(ctx, tx, version); err != nil {
			return found, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return found, p.privilege(fmt.Sprintf("commit the migration of schema %q", p.schema), err)
	}
	return found, nil
}

// migrationLock is the advisory lock key of schema's migrations.
func migrationLock(schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("hade migrate " + schema)) // a hash.Hash never fails to write
	return int64(h.Sum64())
}

// schemaVersion returns the version of p's schema: 0 when its version table does not exist.
func (p *pgBackend) schemaVersion(ctx context.Context, tx pgx.Tx) (int, error) {
	var table *string
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1)::text", withSchema("{schema}.schema_migrations", p.schema)).
		Scan(&table); err != nil {
		return 0, p.privilege(fmt.Sprintf("read the version of schema %q", p.schema), err)
	}
	if table == nil {
		return 0, nil
	}
	var version int
	err := tx.QueryRow(ctx, withSchema("SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations",
		p.schema)).Scan(&version)
	if err != nil {
		return 0, p.privilege(fmt.Sprintf("read the version of schema %q", p.schema), err)
	}
	return version, nil
}

// apply applies migration version in tx and records it; version 1 first makes the schema and its version
// table.
func (p *pgBackend) apply(ctx context.Context, tx pgx.Tx, version int) error {
	what := fmt.Sprintf("migrate schema %q to version %d", p.schema, version)
	if version == 1 {
		create := "CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE {schema}.schema_migrations (" +
			"version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT clock_timestamp())"
		if _, err := tx.Exec(ctx, withSchema(create, p.schema)); err != nil {
			return p.privilege(what, err)
		}
	}
	if _, err := tx.Exec(ctx, withSchema(migrations[version-1], p.schema)); err != nil {
		return p.privilege(what, err)
	}
	_, err := tx.Exec(ctx, withSchema("INSERT INTO {schema}.schema_migrations (version) VALUES ($1)", p.schema),
		version)
	return p.privilege(what, err)
}

// insufficientPrivilege is PostgreSQL's SQLSTATE for a privilege the role lacks.
const insufficientPrivilege = "42501"

// privilege returns err (nil when nil) as p's failure to do what, saying which privilege is missing when
// the server refused for lack of one.
func (p *pgBackend) privilege(what string, err error) error {
	var pgErr *pgconn.PgError
	if err == nil {
		return nil
	}
	if errors.As(err, &pgErr) && pgErr.Code == insufficientPrivilege {
		return fmt.Errorf("postgres at %s: %s: the role lacks a privilege: %s; the role needs CREATE on the "+
			"database (to make schema %q) and USAGE and CREATE on the schema, with SELECT, INSERT, UPDATE and "+
			"DELETE on its tables; or an owner of the schema runs `cron migrate` and grants these", p.address,
			what, pgErr.Message, p.schema)
	}
	return p.fail(what, err)
}
