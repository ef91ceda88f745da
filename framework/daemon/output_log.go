package daemon

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
	"gopkg.in/natefinch/lumberjack.v2"
)

// outputLog writes to a file through file descriptors that it keeps pointed at the file's current name:
// before a write that would take the file past maxSize it rotates the file (lumberjack's naming and
// backups) and moves the descriptors to the new file, as reopen does on SIGHUP.
type outputLog struct {
	mu      sync.Mutex
	path    string
	maxSize int64
	out     *os.File // written through; its descriptor is one of fds
	fds     []int
	size    int64              // of the current file: read when it is opened, then counted (direct writes to fds 1/2 are not)
	backups *lumberjack.Logger // only renames, creates and prunes files: never written
}

func newOutputLog(path string, out *os.File, fds ...int) *outputLog {
	return &outputLog{
		path: path, maxSize: logMaxSizeMB << 20, out: out, fds: fds,
		backups: &lumberjack.Logger{Filename: path, MaxSize: logMaxSizeMB, MaxBackups: logBackups},
	}
}

// Write appends p to the current output file, rotating it first when it would pass maxSize.
func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.size > 0 && o.size+int64(len(p)) > o.maxSize {
		if err := o.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := o.out.Write(p)
	o.size += int64(n)
	return n, err
}

// reopen points the descriptors at the file named path, creating it if needed.
func (o *outputLog) reopen() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.redirect()
}

func (o *outputLog) rotate() error {
	if err := o.backups.Rotate(); err != nil {
		return fmt.Errorf("rotate %s: %w", o.path, err)
	}
	return errors.Join(o.backups.Close(), o.redirect())
}

func (o *outputLog) redirect() (err error) {
	file, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, logFileMode)
	if err != nil {
		return fmt.Errorf("open output log: %w", err)
	}
	defer func() { err = errors.Join(err, file.Close()) }()
	if info, err := file.Stat(); err == nil {
		o.size = info.Size()
	}
	for _, fd := range o.fds {
		if err := unix.Dup2(int(file.Fd()), fd); err != nil {
			return fmt.Errorf("point fd %d at %s: %w", fd, o.path, err)
		}
	}
	return nil
}
