package command

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Rotation of the daemon's log files: at logMaxSizeMB each file is renamed with a timestamp and a new one
// started; logBackups renamed files are kept.
const (
	logMaxSizeMB = 100
	logBackups   = 5
	logFileMode  = 0o640
)

// daemonLogs are a cron daemon's two log files, both rotated at 100 MB with 5 backups and reopened by name
// on SIGHUP (logrotate renames them, then sends SIGHUP):
//   - cron.log, the structured JSON log;
//   - cron.output.log, what jobs print and whatever the process writes to its fds 1 and 2 (Go runtime
//     crashes): the daemon's fds 1 and 2 always point at the current cron.output.log.
type daemonLogs struct {
	log    *lumberjack.Logger
	output *outputLog
}

// openDaemonLogs prepares the log files at logPath and outputPath; the process's fds 1 and 2 are moved to
// outputPath.
func openDaemonLogs(logPath, outputPath string) (*daemonLogs, error) {
	logs := &daemonLogs{
		log:    &lumberjack.Logger{Filename: logPath, MaxSize: logMaxSizeMB, MaxBackups: logBackups},
		output: newOutputLog(outputPath, os.Stdout, unix.Stdout, unix.Stderr),
	}
	if err := logs.reopen(); err != nil {
		return nil, err
	}
	return logs, nil
}

// reopen makes both files be written at their names again, creating them (mode 0640) when they were moved.
func (l *daemonLogs) reopen() error {
	// lumberjack would create a missing file 0600; creating it first keeps 0640 (it copies the mode)
	if err := createFile(l.log.Filename); err != nil {
		return err
	}
	return errors.Join(l.log.Close(), l.output.reopen()) // lumberjack reopens by name at its next write
}

// Close closes the structured log; fds 1 and 2 stay open until the process exits.
func (l *daemonLogs) Close() error { return l.log.Close() }

// createFile creates path with mode 0640 if it does not exist.
func createFile(path string) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, logFileMode)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	return file.Close()
}

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
