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

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Retention bounds the run history; zero or negative fields are backend.DefaultRetention's.
	Retention backend.Retention
	// Now is the backend's clock, by which hold windows, leases, records' ttl and retention are judged;
	// nil means time.Now. A test may pass a fake clock: it must be safe for concurrent use, and it must
	// not call the Store (it is called with the Store locked).
	Now func() time.Time
}

// Store is the state shared by the clients it opens: the fences and run leases of the services, the run
// history, the process registry and the job control. It is safe for concurrent use; every call of every
// client is decided under one lock, so each is atomic.
type Store struct {
	mu      sync.Mutex
	options Options
	fences  map[string]rules.Fence // by service
	leases  map[string]rules.Lease // by service
	history map[string][]run       // by job, newest first
	added   uint64                 // runs appended so far: the sequence number of the last one
	records map[string]process     // by app id
	control control
}

// NewStore returns an empty Store with options, its zero or negative fields set to their defaults.
func NewStore(options Options) *Store {
	if options.Retention.PerJob <= 0 {
		options.Retention.PerJob = backend.DefaultRetention().PerJob
	}
	if options.Retention.MaxAge <= 0 {
		options.Retention.MaxAge = backend.DefaultRetention().MaxAge
	}
	if options.Now == nil {
		options.Now = time.Now
	}
	return &Store{
		options: options,
		fences:  make(map[string]rules.Fence),
		leases:  make(map[string]rules.Lease),
		history: make(map[string][]run),
		records: make(map[string]process),
		control: newControl(),
	}
}

// Open returns a new client of s, as a new process would open the backend: it sees every change made
// through any client of s. Its Close ends this client only; s needs no closing.
func (s *Store) Open() contract.Backend {
	return &client{store: s}
}

// lock takes s's lock and returns the backend's time; the caller unlocks s.mu.
func (s *Store) lock() time.Time {
	s.mu.Lock()
	return s.options.Now()
}
