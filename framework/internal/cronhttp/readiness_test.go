package cronhttp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/internal/observe"
)

var _ observe.Observer = (*Readiness)(nil)

func TestReadinessWithoutHeartbeat(t *testing.T) {
	r := NewReadiness(false)
	expectNotReady(t, r, "the scheduler has not started")
	r.Started()
	if err := r.Ready(); err != nil {
		t.Fatalf("started, no heartbeat: %v", err)
	}
	r.Stopping()
	expectNotReady(t, r, "the process is stopping")
}

func TestReadinessFollowsTheHeartbeat(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := NewReadiness(true)
	r.now = func() time.Time { return now }
	r.Started()
	expectNotReady(t, r, "the backend has not answered a heartbeat yet")
	r.BackendChecked(nil)
	now = now.Add(BackendStaleAfter)
	if err := r.Ready(); err != nil {
		t.Fatalf("a heartbeat answered %s ago: %v", BackendStaleAfter, err)
	}
	now = now.Add(2 * time.Second)
	expectNotReady(t, r, "no heartbeat reached the backend for 7s")
	r.BackendChecked(errors.New("dial tcp 127.0.0.1:6379: connection refused"))
	expectNotReady(t, r, "the backend did not answer the last heartbeat (last answer 7s ago)")
	r.BackendChecked(nil)
	if err := r.Ready(); err != nil {
		t.Fatalf("the backend answered again: %v", err)
	}
}

func expectNotReady(t *testing.T, r *Readiness, reason string) {
	t.Helper()
	err := r.Ready()
	if err == nil || !strings.Contains(err.Error(), reason) {
		t.Fatalf("Ready() = %v, want %q", err, reason)
	}
}
