package postgres

import (
	"strings"
	"testing"
	"time"
)

// The URL's statement_timeout, in PostgreSQL's forms, bounds a call; none, or 0, leaves the default.
func TestCallBoundFollowsStatementTimeout(t *testing.T) {
	for query, want := range map[string]time.Duration{
		"": defaultCallTimeout, "?statement_timeout=0": defaultCallTimeout,
		"?statement_timeout=200": 200 * time.Millisecond, "?statement_timeout=200ms": 200 * time.Millisecond,
		"?statement_timeout=1.5s": 1500 * time.Millisecond, "?statement_timeout=500us": 500 * time.Microsecond,
		"?statement_timeout=1min": time.Minute, "?statement_timeout=250%20ms": 250 * time.Millisecond,
	} {
		config, _, err := parseURL("postgres://u:secret@localhost:5432/hade" + query)
		if err != nil {
			t.Fatalf("%q: %v", query, err)
		}
		if got, err := callBound(config); err != nil || got != want {
			t.Errorf("%q: call bound %v, %v; want %v", query, got, err, want)
		}
	}
	config, _, err := parseURL("host=localhost dbname=hade statement_timeout=300")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := callBound(config); err != nil || got != 300*time.Millisecond {
		t.Errorf("keyword string: call bound %v, %v; want 300ms", got, err)
	}
}

// A statement_timeout that is not a time is refused, the error naming the setting, the value and the
// valid forms.
func TestCallBoundRefusesABadStatementTimeout(t *testing.T) {
	for _, value := range []string{"fast", "200xs", "-5", "1.2.3s"} {
		config, _, err := parseURL("postgres://localhost/hade?statement_timeout=" + value)
		if err != nil {
			t.Fatalf("%q: %v", value, err)
		}
		_, err = callBound(config)
		if err == nil || !strings.Contains(err.Error(), "statement_timeout \""+value+"\"") ||
			!strings.Contains(err.Error(), "postgres.Config.URL") || !strings.Contains(err.Error(), "200ms") {
			t.Errorf("%q: %v", value, err)
		}
	}
}
