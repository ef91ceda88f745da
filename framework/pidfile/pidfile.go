// Package pidfile keeps the pidfiles of the processes of one kind (e.g. cron) in a folder, one per
// process: <folder>/<prefix>.<pid>.pid. A process holds an exclusive flock on its pidfile while it runs;
// liveness is that lock, never kill(pid, 0), which a reused pid or a zombie would also answer. Creating,
// listing and removing stale pidfiles happen under a folder lock (<folder>/<prefix>.lock), so a pidfile
// is never seen half-written and never removed while its process is taking it.
package pidfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/flock"
)

// folderLockWait bounds how long an operation waits for the folder lock, which is held for milliseconds.
const folderLockWait = 5 * time.Second

// Record is what a pidfile holds, as one JSON object.
type Record struct {
	PID       int       `json:"pid"`
	AppID     string    `json:"app_id"`
	Mode      string    `json:"mode"` // "foreground" or "daemon"
	StartedAt time.Time `json:"started_at"`
	Args      []string  `json:"args"`
	Log       string    `json:"log"` // where the process writes its structured log
}

// Entry is one pidfile found in the folder.
type Entry struct {
	Path    string
	PID     int    // from the file name
	Running bool   // a process holds the file's lock
	Record  Record // valid when Err is nil
	Err     error  // the content could not be read or parsed
}

// Folder manages the pidfiles named <Prefix>.<pid>.pid in Path.
type Folder struct {
	Path   string
	Prefix string
}

// File returns the pidfile path of pid.
func (f Folder) File(pid int) string {
	return filepath.Join(f.Path, fmt.Sprintf("%s.%d.pid", f.Prefix, pid))
}

// Pidfile is a pidfile locked by the current process.
type Pidfile struct {
	file *os.File
	path string
}

// Path returns the pidfile's path.
func (p *Pidfile) Path() string { return p.path }

// Acquire creates the folder (mode 0750) if needed, creates (mode 0640) or reuses the pidfile of record.PID, locks it and writes record. The lock
// lasts until Release or the process's exit; the file descriptor is close-on-exec, so processes the
// caller starts do not inherit it. It returns an error when the folder cannot be created or locked, or
// when another process holds the pidfile's lock.
func (f Folder) Acquire(record Record) (*Pidfile, error) {
	if err := os.MkdirAll(f.Path, 0o750); err != nil {
		return nil, fmt.Errorf("create pidfile folder: %w", err)
	}
	unlock, err := f.lockFolder()
	if err != nil {
		return nil, err
	}
	defer unlock()
	path := f.File(record.PID)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open pidfile: %w", err)
	}
	locked, err := flock.TryLock(file)
	if err == nil && !locked {
		err = fmt.Errorf("pidfile %s is locked by another running process", path)
	}
	if err == nil {
		err = writeRecord(file, record)
	}
	if err != nil {
		return nil, errors.Join(err, file.Close())
	}
	return &Pidfile{file: file, path: path}, nil
}

func writeRecord(file *os.File, record Record) error {
	data, err := json.Marshal(record)
	if err != nil {
		return err
	}
	if err := file.Truncate(0); err != nil {
		return fmt.Errorf("truncate pidfile: %w", err)
	}
	if _, err := file.WriteAt(append(data, '\n'), 0); err != nil {
		return fmt.Errorf("write pidfile: %w", err)
	}
	return nil
}

// Release removes the pidfile and then releases its lock. Removing first means no other process can lock
// the file between the two steps and take it for a stale one of a new process.
func (p *Pidfile) Release() error {
	removeErr := os.Remove(p.path)
	if errors.Is(removeErr, os.ErrNotExist) {
		removeErr = nil
	}
	return errors.Join(removeErr, p.file.Close())
}

// List returns the folder's pidfiles sorted by pid, each probed for its lock. A missing folder holds none.
func (f Folder) List() (entries []Entry, err error) {
	err = f.whileLocked(func() error {
		entries, err = f.list()
		return err
	})
	return entries, err
}

// Inspect returns the entry of pid's pidfile; the error wraps os.ErrNotExist when there is none.
func (f Folder) Inspect(pid int) (Entry, error) {
	unlock, err := f.lockFolder()
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	return probe(f.File(pid), pid)
}

// RemoveStale removes the pidfiles whose lock nobody holds (their process is gone) and whose content
// parses, and returns them. Unreadable unlocked pidfiles are kept for a person to look at.
func (f Folder) RemoveStale() (removed []Entry, err error) {
	err = f.whileLocked(func() error {
		entries, err := f.list()
		if err != nil {
			return err
		}
		for _, entry := range entries {
			if entry.Running || entry.Err != nil {
				continue
			}
			if err := os.Remove(entry.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove stale pidfile: %w", err)
			}
			removed = append(removed, entry)
		}
		return nil
	})
	return removed, err
}

// whileLocked runs fn under the folder lock; a missing folder holds no pidfiles, so fn is not run.
func (f Folder) whileLocked(fn func() error) error {
	unlock, err := f.lockFolder()
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

func (f Folder) list() ([]Entry, error) {
	names, err := filepath.Glob(filepath.Join(f.Path, f.Prefix+".*.pid"))
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for _, path := range names {
		middle := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), f.Prefix+"."), ".pid")
		pid, err := strconv.Atoi(middle)
		if err != nil || pid <= 0 {
			continue // not one of ours
		}
		entry, err := probe(path, pid)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return a.PID - b.PID })
	return entries, nil
}

// probe reads one pidfile and tests its lock without keeping it.
func probe(path string, pid int) (Entry, error) {
	entry := Entry{Path: path, PID: pid}
	file, err := os.Open(path)
	if err != nil {
		return entry, err
	}
	defer file.Close()
	locked, err := flock.TryLock(file)
	if err != nil {
		return entry, fmt.Errorf("probe pidfile %s: %w", path, err)
	}
	entry.Running = !locked // we got the lock, so nobody held it; closing the file releases it
	data, err := io.ReadAll(io.LimitReader(file, 1<<20))
	if err != nil {
		return entry, fmt.Errorf("read pidfile %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &entry.Record); err != nil {
		entry.Err = fmt.Errorf("pidfile %s is not a JSON pid record (%v); valid content is one object like {\"pid\":%d,...}", path, err, pid)
	} else if entry.Record.PID != pid {
		entry.Err = fmt.Errorf("pidfile %s names pid %d but its file name says %d", path, entry.Record.PID, pid)
	}
	return entry, nil
}

// lockFolder takes the folder lock; its error wraps os.ErrNotExist when the folder does not exist.
func (f Folder) lockFolder() (unlock func(), err error) {
	if _, err := os.Stat(f.Path); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(filepath.Join(f.Path, f.Prefix+".lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open pidfile folder lock: %w", err)
	}
	if err := flock.LockWithin(file, folderLockWait); err != nil {
		return nil, errors.Join(fmt.Errorf("lock pidfile folder %s: %w", f.Path, err), file.Close())
	}
	return func() { _ = file.Close() }, nil
}
