// Package memory is a contract.Backend that keeps its state in memory: the reference implementation of
// the contract's rules, in the manner of testing/fstest.MapFS, deciding claims, run leases and their
// validation by the very rules the other backends run (framework/backend/internal/rules). A Store is one
// shared state, as one Redis or one host's files are; each client its Open returns stands for a process
// using it, so tests and single-process programs can run several "processes" against one backend. Nothing
// outlives the Store, and no goroutine is started.
package memory

import (
	"sync"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// Store is the state shared by the clients it opens: the fences and run leases of the services, the run
// history, the process registry and the job control. It is safe for concurrent use; every call of every
// client is decided under one lock, so each is atomic.
type Store struct {
	mu      sync.Mutex
	now     func() time.Time
	fences  map[string]rules.Fence    // by service
	leases  map[string]rules.Lease    // by service
	counts  map[string]rules.RunCount // by service: the runs counted for WithLimitedRuns
	queues  map[string]rules.RunQueue // by service: the buffered ticks (OverlapBufferOne, OverlapBufferAll)
	marks   map[runMark]string        // by service and tick (Unix µs): the holder that marked its run
	history map[string][]run          // by job, newest first
	added   uint64                    // runs appended so far: the sequence number of the last one
	records map[string]process        // by app id
	control control
}

// NewStore returns an empty Store whose clock is now: hold windows, leases, records' ttl and retention are
// judged by it. nil means time.Now; a test may pass a fake clock, which must be safe for concurrent use
// and must not call the Store (it is called with the Store locked).
func NewStore(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:     now,
		fences:  make(map[string]rules.Fence),
		leases:  make(map[string]rules.Lease),
		counts:  make(map[string]rules.RunCount),
		queues:  make(map[string]rules.RunQueue),
		marks:   make(map[runMark]string),
		history: make(map[string][]run),
		records: make(map[string]process),
		control: newControl(),
	}
}

// Open returns a new client of s, as a new process would open the backend: it sees every change made
// through any client of s, and bounds the run history by retention when it appends and reads, as a process
// does by its own settings (zero or negative fields: the defaults of backend.Retention.WithDefaults). Its Close ends this
// client only; s needs no closing.
func (s *Store) Open(retention backend.Retention) contract.Backend {
	retention.PerJob, retention.MaxAge = max(retention.PerJob, 0), max(retention.MaxAge, 0)
	retention, err := retention.WithDefaults()
	if err != nil { // not reached: no field is negative
		panic(err)
	}
	return &client{store: s, retention: retention}
}

// lock takes s's lock and returns the backend's time; the caller unlocks s.mu.
func (s *Store) lock() time.Time {
	s.mu.Lock()
	return s.now()
}
