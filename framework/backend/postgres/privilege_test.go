package postgres

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// A role that may not create the schema, or may not create in a schema another role owns, gets an error
// naming the missing privilege (and never its password); once an owner migrated and granted, it works.
func TestPostgresMissingPrivilegeIsNamed(t *testing.T) {
	server := pgtest.Start(t, pgserver.Options{})
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, statement := range []string{
		"CREATE ROLE app LOGIN PASSWORD 'app-pw-123'",
		"CREATE SCHEMA owned",
	} {
		if _, err := admin.Exec(ctx, statement); err != nil {
			t.Fatal(err)
		}
	}
	appURL, err := url.Parse(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	appURL.User = url.UserPassword("app", "app-pw-123")
	for schema, denied := range map[string]string{"fresh": "permission denied for database", "owned": "permission denied for schema owned"} {
		_, err := openBackend(ctx, appURL.String(), schema, backend.Retention{}, slog.Default())
		if err == nil || !strings.Contains(err.Error(), "the role lacks a privilege") || !strings.Contains(err.Error(), denied) {
			t.Fatalf("schema %s opened by a role without privileges: %v; want an error naming %q", schema, err, denied)
		}
		if strings.Contains(err.Error(), "app-pw-123") {
			t.Fatalf("the error shows the password: %v", err)
		}
	}
	owner, err := openBackend(ctx, server.URL(), "owned", backend.Retention{}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	grants := "GRANT USAGE ON SCHEMA owned TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA owned TO app; " +
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA owned TO app"
	if _, err := admin.Exec(ctx, grants); err != nil {
		t.Fatal(err)
	}
	app, err := openBackend(ctx, appURL.String(), "owned", backend.Retention{}, slog.Default())
	if err != nil {
		t.Fatalf("the role with the documented grants on a migrated schema: %v", err)
	}
	defer app.Close()
	if _, err := app.Paused(ctx); err != nil {
		t.Fatal(err)
	}
}
