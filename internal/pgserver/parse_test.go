package pgserver

import (
	"reflect"
	"testing"
)

func TestParseStat(t *testing.T) {
	state, parent, err := parseStat("4242 (postgres: hade hade 127.0.0.1(5) idle) T 4200 4200 4200 0 -1\n")
	if err != nil || state != 'T' || parent != 4200 {
		t.Fatalf("parseStat = %q, %d, %v; want T, 4200", state, parent, err)
	}
	if _, _, err := parseStat("4242 (postgres)"); err == nil {
		t.Fatal("a stat line without state and parent must be an error")
	}
}

func TestNewestFirst(t *testing.T) {
	got := newestFirst([]string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin",
		"/usr/lib/postgresql/devel/bin", "/usr/lib/postgresql/13/bin"})
	want := []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/13/bin", "/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/devel/bin"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("newestFirst = %v; want %v", got, want)
	}
}

func TestSharedMemoryOf(t *testing.T) {
	pidFile := "4200\n/tmp/pg/data\n1733318400\n5432\n/tmp/pg\n127.0.0.1\n  9978032         7\nready   \n"
	if key, id, ok := sharedMemoryOf(pidFile); !ok || key != 9978032 || id != 7 {
		t.Fatalf("sharedMemoryOf = %d, %d, %v; want 9978032, 7", key, id, ok)
	}
	if _, _, ok := sharedMemoryOf("4200\n/tmp/pg/data\n"); ok {
		t.Fatal("a postmaster.pid without its 7th line has no segment")
	}
}

// The startup message is its length (31 bytes, itself included), the protocol 3.0, then NUL-terminated
// names and values and a NUL.
func TestStartupMessageAndErrorResponse(t *testing.T) {
	message := startupMessage("hade", "db")
	want := "\x00\x00\x00\x1f\x00\x03\x00\x00user\x00hade\x00database\x00db\x00\x00"
	if string(message) != want {
		t.Fatalf("startupMessage = %q; want %q", message, want)
	}
	err := errorResponse([]byte("SFATAL\x00C57P03\x00Mthe database system is starting up\x00\x00"))
	if err == nil || err.Error() != "the database system is starting up (SQLSTATE 57P03)" {
		t.Fatalf("errorResponse = %v", err)
	}
}

func TestQuoting(t *testing.T) {
	if got := confQuote(`it's a\b`); got != `'it''s a\\b'` {
		t.Errorf("confQuote = %s", got)
	}
	if got := conninfoQuote(`it's a\b`); got != `'it\'s a\\b'` {
		t.Errorf("conninfoQuote = %s", got)
	}
}
