package cronprocess

import (
	"io"
	"testing"
)

// Without --http, the process has no web: each of its methods does nothing.
func TestNoWebDoesNothing(t *testing.T) {
	var off *web
	if off.observer() != nil {
		t.Fatal("a process without --http observes its scheduler")
	}
	off.started()
	off.stopping()
	off.countAlerts(nil)
	off.stop(NewLogger(io.Discard, 0))
}
