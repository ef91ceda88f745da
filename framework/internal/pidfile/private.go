package pidfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxPrivateSize bounds how much of a private file is read.
const maxPrivateSize = 1 << 20

func (f Folder) privateFile(pid int) string {
	return filepath.Join(f.Path, fmt.Sprintf("%s.%d.private", f.Prefix, pid))
}

// writePrivate creates path (mode 0600) with data, replacing a file left there.
func writePrivate(path string, data []byte) error {
	if err := removeIfExists(path); err != nil {
		return fmt.Errorf("replace private file: %w", err)
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create private file: %w", err)
	}
	_, err = file.Write(data)
	return errors.Join(err, file.Close())
}

// ReadPrivate returns the private file of pid's pidfile (see AcquireOptions.Private); the error wraps
// os.ErrNotExist when there is none, and os.ErrPermission when the caller is not its owner.
func (f Folder) ReadPrivate(pid int) (data []byte, err error) {
	err = f.whileLocked(func() error {
		file, err := os.Open(f.privateFile(pid))
		if err != nil {
			return err
		}
		defer file.Close()
		data, err = io.ReadAll(io.LimitReader(file, maxPrivateSize))
		return err
	})
	if err == nil && data == nil {
		err = fmt.Errorf("no pidfile folder %s: %w", f.Path, os.ErrNotExist)
	}
	return data, err
}

// removeOrphanPrivates removes the private files whose pidfile is gone (a process that died between
// the two removals of Release); the caller holds the folder lock.
func (f Folder) removeOrphanPrivates() error {
	names, err := filepath.Glob(filepath.Join(f.Path, f.Prefix+".*.private"))
	if err != nil {
		return err
	}
	for _, path := range names {
		pid, ok := f.pidOf(path, ".private")
		if !ok {
			continue
		}
		if _, err := os.Stat(f.File(pid)); errors.Is(err, os.ErrNotExist) {
			if err := removeIfExists(path); err != nil {
				return fmt.Errorf("remove private file without pidfile: %w", err)
			}
		}
	}
	return nil
}
