package supervisor

import (
	"errors"
	"io"
	"log/slog"

	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/logbuffer"
)

// Child is a cron daemon's own side of its log files: the structured log (files.Log) and the output
// (files.Output: what jobs print, and the process's fds 1 and 2), reopened on SIGHUP.
type Child struct {
	files  Files
	logs   *daemon.Logs
	buffer *logbuffer.Writer // of the structured log: written every logbuffer.DefaultInterval
	// Logger writes the structured log.
	Logger *slog.Logger
}

// OpenChild opens the log files of files (daemon.OpenLogs: fds 1 and 2 then point at the output) in a
// daemon whose start is complete (daemon.CompleteStart), with Logger made by newLogger on the log file
// through a buffer (logbuffer: written at least every 100ms, on Reopen and on End). The files live until
// the process exits. The error says which file could not be opened.
func OpenChild(files Files, newLogger func(io.Writer) *slog.Logger) (*Child, error) {
	logs, err := daemon.OpenLogs(files.Log, files.Output)
	if err != nil {
		return nil, err
	}
	buffer := logbuffer.New(logs.Log(), logbuffer.DefaultInterval)
	return &Child{files: files, logs: logs, buffer: buffer, Logger: newLogger(buffer)}, nil
}

// Output is the writer of the output file, safe for concurrent use.
func (c *Child) Output() io.Writer { return c.logs.Output() }

// Reopen reopens both files by name (logrotate moved them, then sent SIGHUP) and logs that it did, or
// why it could not.
func (c *Child) Reopen() {
	if err := errors.Join(c.buffer.Flush(), c.logs.Reopen()); err != nil { // buffered lines go to the old file
		c.Logger.Error("cron could not reopen its log files", "signal", "SIGHUP", "error", err.Error())
		return
	}
	c.Logger.Info("cron reopened its log files", "signal", "SIGHUP", "log", c.files.Log,
		"output", c.files.Output)
}

// End logs err, when not nil, as the line "cron failed", writes the lines still buffered (the log is
// written at once afterwards), and returns err, joined with the log file's write error if any.
func (c *Child) End(err error) error {
	if err != nil {
		c.Logger.Error("cron failed", "error", err.Error())
	}
	return errors.Join(err, c.buffer.Close())
}
