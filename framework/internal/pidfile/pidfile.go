package pidfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hadeframe/hade/framework/internal/flock"
)

// folderLockWait bounds how long an operation waits for the folder lock, which is held for milliseconds.
const folderLockWait = 5 * time.Second

// The modes a Record names.
const (
	ModeForeground = "foreground" // a process started in the foreground
	ModeDaemon     = "daemon"     // a process started in the background (daemon.Start)
)

// Record is what a pidfile holds, as one JSON object. Its file is readable by the group: it holds no
// secret.
type Record struct {
	PID       int       `json:"pid"`
	AppID     string    `json:"app_id"`
	Mode      string    `json:"mode"` // ModeForeground or ModeDaemon
	StartedAt time.Time `json:"started_at"`
	Log       string    `json:"log"` // where the process writes its structured log
	// Settings are the process's settings by name, secrets redacted, for people to read.
	Settings map[string]string `json:"settings,omitempty"`
	// PIDNamespace and BootID are set by Acquire: the pid namespace (readlink /proc/self/ns/pid, e.g.
	// "pid:[4026531836]") and the boot (/proc/sys/kernel/random/boot_id) the pid belongs to.
	PIDNamespace string `json:"pid_namespace,omitempty"`
	BootID       string `json:"boot_id,omitempty"`
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

// AcquireOptions are the optional parts of Folder.Acquire.
type AcquireOptions struct {
	// Private is written to <prefix>.<pid>.private (mode 0600: owner only) next to the pidfile and removed
	// with it; ReadPrivate reads it back. Empty: no such file.
	Private []byte
	// Admit, when set, is called under the folder lock with the pidfiles whose lock is held (the caller's
	// own excluded); an error refuses the pidfile. Two processes calling Acquire at once are serialized,
	// so a rule such as "one daemon per folder" holds without a race.
	Admit func(running []Entry) error
}

// Pidfile is a pidfile locked by the current process.
type Pidfile struct {
	file    *os.File
	path    string
	private string // "" when there is no private file
}

// Path returns the pidfile's path.
func (p *Pidfile) Path() string { return p.path }

// Acquire creates the folder (mode 0750) if needed, creates (mode 0640) or reuses the pidfile of
// record.PID, locks it and writes record with this process's pid namespace and boot, and the private file
// of options. The lock lasts until Release or the process's exit; the file descriptor is close-on-exec,
// so processes the caller starts do not inherit it. It returns an error when the folder cannot be created
// or locked, when another process holds the pidfile's lock, or when options.Admit refuses.
func (f Folder) Acquire(record Record, options AcquireOptions) (*Pidfile, error) {
	if err := os.MkdirAll(f.Path, 0o750); err != nil {
		return nil, fmt.Errorf("create pidfile folder: %w", err)
	}
	unlock, err := f.lockFolder()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if options.Admit != nil {
		if err := f.admit(record.PID, options.Admit); err != nil {
			return nil, err
		}
	}
	record.PIDNamespace, record.BootID = currentOrigin()
	held, err := f.lockAndWrite(record)
	if err != nil || len(options.Private) == 0 {
		return held, err
	}
	held.private = f.privateFile(record.PID)
	if err := writePrivate(held.private, options.Private); err != nil {
		return nil, errors.Join(err, held.Release())
	}
	return held, nil
}

// admit calls admit with the running pidfiles other than pid's.
func (f Folder) admit(pid int, admit func([]Entry) error) error {
	entries, err := f.list()
	if err != nil {
		return err
	}
	var running []Entry
	for _, entry := range entries {
		if entry.Running && entry.PID != pid {
			running = append(running, entry)
		}
	}
	return admit(running)
}

func (f Folder) lockAndWrite(record Record) (*Pidfile, error) {
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

// Release removes the private file and the pidfile, and then releases its lock. Removing first means no
// other process can lock the file between the two steps and take it for a stale one of a new process.
func (p *Pidfile) Release() error {
	var privateErr error
	if p.private != "" {
		privateErr = removeIfExists(p.private)
	}
	return errors.Join(privateErr, removeIfExists(p.path), p.file.Close())
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
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
