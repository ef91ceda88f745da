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

	"github.com/hadeframe/hade/framework/internal/flock"
)

// Entry is one pidfile found in the folder.
type Entry struct {
	Path    string
	PID     int    // from the file name
	Running bool   // a process holds the file's lock
	Record  Record // valid when Err is nil
	Err     error  // the content could not be read or parsed
	// Foreign is empty when the record's pid is one of this pid namespace and boot, and otherwise says
	// whose it is, e.g. "another pid namespace (pid:[4026532201])": such a pid names some other process
	// here, or none, so it must never be signalled. A record written before namespaces were recorded
	// counts as ours.
	Foreign string
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
// parses, with their private files, and returns them; it also removes private files left without a
// pidfile. Unreadable unlocked pidfiles are kept for a person to look at.
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
			if err := errors.Join(removeIfExists(f.privateFile(entry.PID)), removeIfExists(entry.Path)); err != nil {
				return fmt.Errorf("remove stale pidfile: %w", err)
			}
			removed = append(removed, entry)
		}
		return f.removeOrphanPrivates()
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
		pid, ok := f.pidOf(path, ".pid")
		if !ok {
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

// pidOf returns the pid in a file name <prefix>.<pid><suffix>.
func (f Folder) pidOf(path, suffix string) (int, bool) {
	middle := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), f.Prefix+"."), suffix)
	pid, err := strconv.Atoi(middle)
	return pid, err == nil && pid > 0
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
	} else {
		entry.Foreign = foreign(entry.Record)
	}
	return entry, nil
}
