package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/flock"
)

// defaultLockWait is how long a local claim waits for another process's claim on the same service to
// finish before it gives up with an error. A claim holds the lock for a read and a write only.
const defaultLockWait = 2 * time.Second

// maxStateSize bounds how much of a state file is read; a valid record is far shorter.
const maxStateSize = 64 << 10

// localBackend implements contract.Backend for the processes of one host with flock(2) on permanent state
// files, one per service: <folder>/<service>.lock. A claim opens the file, takes an exclusive lock, reads
// the service's state (one JSON line: the fence, the run lease and the queue of buffered ticks), writes
// the new state when it wins, and closes the file, which releases the lock. Lock files are never deleted:
// deleting a lock file lets two processes lock two different files of one name. flock does not work
// across hosts nor on network file systems (NFS, GlusterFS): use the redis provider there.
//
// It also keeps the run history (contract.RunHistory), the process registry (contract.ProcessRegistry),
// the job control (contract.JobControl), the run counts (contract.RunLeases.CountRun) and the run marks
// (contract.RunLeases.MarkRun) of the host's processes in one SQLite database, <folder>/history.sqlite,
// opened on first use and closed by Close.
type localBackend struct {
	folder    string
	lockWait  time.Duration
	now       func() time.Time
	retention backend.Retention // of the run history; the defaults of backend.Retention.WithDefaults when zero
	store     localDatabase     // the run history, the process registry and the job control
	closed    atomic.Bool       // set by Close: later calls fail
}

// New returns the local backend of folder: flock(2) on state files for the processes of one host, and
// their run history, process registry and job control in one SQLite database. folder (a path, relative to
// the working directory or absolute) holds the state files, <folder>/<service>.lock, and the database,
// <folder>/history.sqlite; the processes that share a folder share the backend. retention bounds the run
// history: at most PerJob records per job, none older than MaxAge; zero fields are
// the defaults (1000 records per job, 30 days). New creates nothing: the first claim or write creates
// folder (mode 0750), so reads of a folder nothing ran in leave no trace. It returns an error when folder
// is empty or a field of retention is negative.
func New(folder string, retention backend.Retention) (contract.Backend, error) {
	return newLocal(folder, retention)
}

func newLocal(folder string, retention backend.Retention) (*localBackend, error) {
	if folder == "" {
		return nil, errors.New("local.New: the folder is empty: give the folder of the state files")
	}
	retention, err := retention.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("local.New: %w", err)
	}
	return &localBackend{folder: folder, lockWait: defaultLockWait, now: time.Now, retention: retention}, nil
}

// openLockFile opens (creating) the state file at path, and its folder when missing.
func (l *localBackend) openLockFile(path string) (*os.File, error) {
	if l.closed.Load() {
		return nil, l.errClosed()
	}
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if mkdirErr := os.MkdirAll(l.folder, 0o750); mkdirErr != nil {
			return nil, fmt.Errorf("create state folder: %w", mkdirErr)
		}
		file, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	}
	return file, err
}

// Describe says where the state files are, for `cron state` and `cron list`.
func (l *localBackend) Describe(context.Context) string {
	return fmt.Sprintf("local: flock on files in %s (this host only)", l.folder)
}

// LockFile returns the path of serviceName's state file (serviceName must be valid).
func (l *localBackend) LockFile(serviceName string) string {
	return filepath.Join(l.folder, serviceName+".lock")
}

// ClaimTick implements contract.Distributed.ClaimTick with the rule of fence.claim, by l's clock. A zero
// claim.LiveUntil counts as claim.Tick+claim.HoldTime. Besides invalid input, contract.ErrTickClosed and
// contract.ErrDefinitionConflict, it returns ctx's error when ctx ends before the lock is taken (a claim
// that has the lock is decided and answered whatever ctx does), and an error when the state file cannot
// be opened, locked within 2 s (defaultLockWait), read, parsed (the error names the file) or written.
func (l *localBackend) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	c, err := rules.ValidateClaim(c)
	if err != nil {
		return contract.Claimed{}, err
	}
	if err := ctx.Err(); err != nil {
		return contract.Claimed{}, fmt.Errorf("service %q: claim not made: %w", c.Service, err)
	}
	path := l.LockFile(c.Service)
	file, err := l.openLockFile(path)
	if err != nil {
		return contract.Claimed{}, fmt.Errorf("service %q: open lock file: %w", c.Service, err)
	}
	defer file.Close() // closing the only descriptor of this open file releases the lock
	if err := flock.LockContext(ctx, file, l.lockWait); err != nil {
		return contract.Claimed{}, fmt.Errorf("service %q: lock %s: %w", c.Service, path, err)
	}
	state, err := readState(file)
	if err != nil {
		return contract.Claimed{}, fmt.Errorf("service %q: lock file %s holds unreadable state (%v); stop the cron processes and remove the file", c.Service, path, err)
	}
	claimed, next, nextLease, write, err := decideLocal(c, state.fence, state.lease, l.now())
	if err != nil || !write {
		return claimed, err
	}
	if err := writeState(file, serviceState{fence: next, lease: nextLease, queue: state.queue}); err != nil {
		return contract.Claimed{}, fmt.Errorf("service %q: write %s: %w", c.Service, path, err)
	}
	return claimed, nil
}

// decideLocal decides claim c against the fence current and the run lease at now: the answer, the fence and
// lease to keep, and whether they changed (write).
func decideLocal(c contract.Claim, current rules.Fence, lease rules.Lease, now time.Time) (claimed contract.Claimed, next rules.Fence, nextLease rules.Lease, write bool, err error) {
	selected, won, err := current.Claim(c, now)
	if err != nil || selected != c.AppID {
		return contract.Claimed{Holder: selected}, current, lease, false, err
	}
	claimed, next, nextLease = contract.Claimed{Holder: selected}, current, lease
	if won {
		next = rules.Fence{Tick: c.Tick, Winner: c.AppID, Definition: c.Definition, LiveUntil: c.LiveUntil}
		claimed.Previous = current.Previous(c)
	}
	if c.RunLease > 0 {
		nextLease, claimed.Busy = lease.ForClaim(c, won, now)
	}
	return claimed, next, nextLease, won || nextLease != lease, nil
}

// serviceState is what a service's state file keeps: the fence, the run lease and the queue of buffered
// ticks (contract.RunLeases.QueueRun).
type serviceState struct {
	fence rules.Fence
	lease rules.Lease
	queue rules.RunQueue
}

// stateRecord is the JSON line a state file holds. It is advisory text for people too. Times are RFC 3339
// with nanoseconds (a tick is kept as given, to the nanosecond, without its monotonic reading).
// Records written before definitions existed have no definition and no live_until: a definition that is
// not live. Records written before the run lease or the queue existed have none: no lease, an empty queue.
type stateRecord struct {
	Tick       time.Time `json:"tick"`
	Winner     string    `json:"winner"`
	Definition string    `json:"definition"`
	LiveUntil  time.Time `json:"live_until"`
	ClaimedAt  time.Time `json:"claimed_at"`
	// The run lease (contract.RunLeases); absent when nobody holds it.
	RunHolder string    `json:"run_holder,omitempty"`
	RunTick   time.Time `json:"run_tick,omitzero"`
	RunUntil  time.Time `json:"run_until,omitzero"`
	// The queue of buffered ticks (contract.RunLeases.QueueRun): the ticks waiting, oldest first (at most
	// rules.MaxQueued, about 38 bytes each: the record stays under maxStateSize), and the newest tick taken
	// off it; absent when empty and none was taken.
	RunQueue []time.Time `json:"run_queue,omitempty"`
	RunTaken time.Time   `json:"run_taken,omitzero"`
}

// readState reads the record at the start of file; an empty file is the zero state: no fence, no lease,
// an empty queue. A record with a lease and no fence is the lease of a run an operator requested. It
// returns an error for a record that is not JSON, has a tick without a winner (or the reverse), or a queue
// that breaks checkQueue.
func readState(file *os.File) (serviceState, error) {
	data, err := io.ReadAll(io.NewSectionReader(file, 0, maxStateSize))
	if err != nil {
		return serviceState{}, err
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if len(bytes.TrimSpace(line)) == 0 {
		return serviceState{}, nil
	}
	var record stateRecord
	if err := json.Unmarshal(line, &record); err != nil {
		return serviceState{}, err
	}
	if record.Tick.IsZero() != (record.Winner == "") {
		return serviceState{}, errors.New("record has a tick without a winner, or a winner without a tick")
	}
	queue := rules.RunQueue{Waiting: record.RunQueue, Taken: record.RunTaken}
	if err := checkQueue(queue); err != nil {
		return serviceState{}, err
	}
	return serviceState{
		fence: rules.Fence{Tick: record.Tick, Winner: record.Winner, Definition: record.Definition,
			LiveUntil: record.LiveUntil},
		lease: rules.Lease{Holder: record.RunHolder, Tick: record.RunTick, Until: record.RunUntil},
		queue: queue,
	}, nil
}

// writeState replaces the record with one write at offset 0, then cuts what an older, longer record left.
// A reader only trusts the first line, so a crash between the two calls loses nothing.
func writeState(file *os.File, state serviceState) error {
	f, lease := state.fence, state.lease
	line, err := json.Marshal(stateRecord{Tick: f.Tick, Winner: f.Winner, Definition: f.Definition,
		LiveUntil: f.LiveUntil, ClaimedAt: time.Now(), RunHolder: lease.Holder, RunTick: lease.Tick,
		RunUntil: lease.Until, RunQueue: state.queue.Waiting, RunTaken: state.queue.Taken})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if _, err := file.WriteAt(line, 0); err != nil {
		return err
	}
	return file.Truncate(int64(len(line)))
}
