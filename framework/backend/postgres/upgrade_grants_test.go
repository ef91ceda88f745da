package postgres

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// appGrants are the documented privileges of the application's role on schema owned.
const appGrants = "GRANT USAGE ON SCHEMA owned TO app; " +
	"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA owned TO app; " +
	"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA owned TO app"

// appBeforeUpgrade makes, on a private server, the role app with the documented privileges on schema
// owned at version from, then lets the owner migrate it to the binary's version, as an operator who ran
// `cron migrate` without granting again would. It returns app's backend and a function that grants again.
func appBeforeUpgrade(t *testing.T, from int) (app *pgBackend, grantAgain func()) {
	t.Helper()
	server := pgtest.Start(t, pgserver.Options{})
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	migrateTo(t, server.URL(), "owned", from)
	for _, statement := range []string{"CREATE ROLE app LOGIN PASSWORD 'app-pw-123'", appGrants} {
		if _, err := admin.Exec(ctx, statement); err != nil {
			t.Fatal(err)
		}
	}
	openUpgraded(t, server.URL(), "owned") // the owner migrates
	appURL, err := url.Parse(server.URL())
	if err != nil {
		t.Fatal(err)
	}
	appURL.User = url.UserPassword("app", "app-pw-123")
	return openUpgraded(t, appURL.String(), "owned"), func() {
		t.Helper()
		if _, err := admin.Exec(ctx, appGrants); err != nil {
			t.Fatal(err)
		}
	}
}

// checkPrivilegeError fails t unless err, call's error, names the missing privilege on table and not the
// app role's password.
func checkPrivilegeError(t *testing.T, call, table string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "the role lacks a privilege") || !strings.Contains(err.Error(), table) ||
		strings.Contains(err.Error(), "app-pw-123") {
		t.Fatalf("%s without privileges on %s: %v; want an error naming the missing privilege", call, table, err)
	}
}
