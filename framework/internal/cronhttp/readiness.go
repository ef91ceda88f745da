package cronhttp

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/internal/record"
)

// BackendStaleAfter is how old the last heartbeat that reached the backend may be for a process with a
// heartbeat to be ready: a few heartbeats (one a second), as long as a process record lives in the registry.
const BackendStaleAfter = 5 * time.Second

// Readiness decides /readyz: ready once the scheduler started and until the process stops, and, for a
// process with a backend heartbeat, while the last heartbeat reached the backend less than
// BackendStaleAfter ago. It is a observe.Observer (only BackendChecked matters), joined to the others.
type Readiness struct {
	heartbeat bool
	now       func() time.Time
	started   atomic.Bool
	stopping  atomic.Bool
	failing   atomic.Bool  // the last heartbeat failed
	answered  atomic.Int64 // Unix nanoseconds of the last heartbeat that reached the backend; 0: none yet
}

// NewReadiness returns the readiness of a process that has a backend heartbeat (a process registry) or not.
func NewReadiness(heartbeat bool) *Readiness {
	return &Readiness{heartbeat: heartbeat, now: time.Now}
}

// Started marks the scheduler started.
func (r *Readiness) Started() { r.started.Store(true) }

// Stopping marks the process stopping: not ready from now on, while it drains its runs.
func (r *Readiness) Stopping() { r.stopping.Store(true) }

// Ready returns nil when the process is ready, else an error whose text is the short reason.
func (r *Readiness) Ready() error {
	switch {
	case r.stopping.Load():
		return errors.New("the process is stopping")
	case !r.started.Load():
		return errors.New("the scheduler has not started")
	case !r.heartbeat:
		return nil
	}
	answered := r.answered.Load()
	if answered == 0 {
		return errors.New("the backend has not answered a heartbeat yet")
	}
	age := r.now().Sub(time.Unix(0, answered)).Round(time.Second)
	if r.failing.Load() {
		return fmt.Errorf("the backend did not answer the last heartbeat (last answer %s ago)", age)
	}
	if age > BackendStaleAfter {
		return fmt.Errorf("no heartbeat reached the backend for %s", age)
	}
	return nil
}

// BackendChecked records the result of a heartbeat.
func (r *Readiness) BackendChecked(err error) {
	if err == nil {
		r.answered.Store(r.now().UnixNano())
	}
	r.failing.Store(err != nil)
}

// Attempted does nothing: runs do not change readiness.
func (r *Readiness) Attempted(record.Run) {}

// Settled does nothing.
func (r *Readiness) Settled(record.Run) {}

// Claimed does nothing.
func (r *Readiness) Claimed(string, string) {}

// RecordsLost does nothing.
func (r *Readiness) RecordsLost(int) {}

func (r *Readiness) Waiting(string, int) {}

func (r *Readiness) RunsLeft(string, int) {}

func (r *Readiness) Paused(map[string]string) {}
