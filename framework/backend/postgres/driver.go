package postgres

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// Config configures the PostgreSQL backend.
type Config struct {
	// URL is a libpq connection URL or keyword/value string, as pgx parses it (sslmode, sslrootcert,
	// target_session_attrs, connect_timeout, …), e.g. postgres://app@db.example:5432/app?sslmode=verify-full.
	// The password comes from the URL, PGPASSWORD or a .pgpass file. Its statement_timeout, when set, also
	// bounds each call (else 2 s). Default "postgres://localhost:5432/hade".
	URL string
	// Schema holds the backend's tables and functions, one schema per application sharing a database:
	// 1 to 63 lower-case ASCII letters, digits and '_', not starting with a digit. Default "hade".
	Schema string
	// Retention bounds the run history; zero fields are the defaults of backend.Retention.WithDefaults.
	Retention backend.Retention
}

// The defaults of Config.
const (
	defaultURL    = "postgres://localhost:5432/hade"
	defaultSchema = "hade"
)

func init() {
	backend.Register("postgres", open, []backend.Setting{
		{Name: "url", Field: "postgres.Config.URL", Default: defaultURL,
			Usage: "postgres://[user@]host:port/database?sslmode=…, or a libpq keyword/value string; the " +
				"password from HADE_POSTGRES_URL, PGPASSWORD or ~/.pgpass"},
		{Name: "schema", Field: "postgres.Config.Schema", Default: defaultSchema,
			Usage: "schema of the backend's tables, one per application sharing a database"},
	}...)
}

// New returns the PostgreSQL backend of config once the server answered and the schema is at this
// binary's version: it applies the missing migrations (see Migrate's rules: under an advisory lock, each
// once). It starts the goroutine that sends claims, which Close stops. It returns an error naming
// postgres.Config.URL, never the password, when the URL is malformed or the server does not answer within
// the connect timeout (connect_timeout in the URL, default 5 s) or refuses the credentials; an error naming
// postgres.Config.Schema when it is invalid; an error naming the privilege that is missing when the
// schema cannot be made or read; and an error naming both versions when the schema is newer than the
// binary. slog.Default() receives the start and end of an outage.
func New(ctx context.Context, config Config) (contract.Backend, error) {
	if config.URL == "" {
		config.URL = defaultURL
	}
	if config.Schema == "" {
		config.Schema = defaultSchema
	}
	retention, err := config.Retention.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("postgres.Config.Retention: %w", err)
	}
	return openBackend(ctx, config.URL, config.Schema, retention, slog.Default())
}

// open makes the backend of options (see New); options.Logger receives the start and end of an outage.
func open(ctx context.Context, options backend.Options) (contract.Backend, error) {
	return openBackend(ctx, cmp.Or(options.Values["url"], defaultURL), cmp.Or(options.Values["schema"], defaultSchema),
		options.Retention, options.Logger)
}
