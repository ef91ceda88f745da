package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"

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

// Logs are a daemon's two log files, both rotated at 100 MB with 5 backups (renamed with a timestamp) and
// reopened by name on Reopen (logrotate renames them, then sends SIGHUP):
//   - the log, e.g. cron.log, for the structured log;
//   - the output, e.g. cron.output.log, for what jobs print and whatever the process writes to its fds 1
//     and 2 (Go runtime crashes): the process's fds 1 and 2 always point at the current output file.
//
// Logs live until the process exits, as fds 1 and 2 must: their files are closed by the exit, never
// before, so that nothing the process writes at its end (a Go runtime crash included) is lost.
type Logs struct {
	log    *lumberjack.Logger
	output *outputLog
}

// OpenLogs prepares the log files at logPath and outputPath (created with mode 0640 when missing) and
// moves the process's fds 1 and 2 to outputPath. It returns an error when either file cannot be opened or
// a descriptor cannot be moved.
func OpenLogs(logPath, outputPath string) (*Logs, error) {
	logs := &Logs{
		log:    &lumberjack.Logger{Filename: logPath, MaxSize: logMaxSizeMB, MaxBackups: logBackups},
		output: newOutputLog(outputPath, os.Stdout, unix.Stdout, unix.Stderr),
	}
	if err := logs.Reopen(); err != nil {
		return nil, err
	}
	return logs, nil
}

// Log is the writer of the structured log file.
func (l *Logs) Log() io.Writer { return l.log }

// Output is the writer of the output file; it is safe for concurrent use.
func (l *Logs) Output() io.Writer { return l.output }

// Reopen makes both files be written at their names again, creating them (mode 0640) when they were
// moved; the error says which could not be opened.
func (l *Logs) Reopen() error {
	// lumberjack would create a missing file 0600; creating it first keeps 0640 (it copies the mode)
	if err := createFile(l.log.Filename); err != nil {
		return err
	}
	return errors.Join(l.log.Close(), l.output.reopen()) // lumberjack reopens by name at its next write
}

// createFile creates path with mode 0640 if it does not exist.
func createFile(path string) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, logFileMode)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	return file.Close()
}
