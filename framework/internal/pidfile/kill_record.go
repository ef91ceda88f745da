package pidfile

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// recordKill appends a "cron killed" line to the structured log of a process Stop killed with SIGKILL (a
// daemon's log file; a foreground process logs to stdout, which only its owner sees), since the runs it
// had going were cut short without a "cron run" line. It returns the log's path, or "" when the process
// has no log file; the error says the line could not be written.
func recordKill(entry Entry, options StopOptions) (string, error) {
	path := entry.Record.Log
	if !filepath.IsAbs(path) {
		return "", nil
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("record the kill of cron process %d in its log: %w", entry.PID, err)
	}
	timeoutName := options.TimeoutName
	if timeoutName == "" {
		timeoutName = options.Timeout.String()
	}
	logger := slog.New(slog.NewJSONHandler(file, nil))
	logger.Error("cron killed", "pid", entry.PID, "app_id", entry.Record.AppID, "signal", "SIGKILL", "by", options.By,
		"timeout", options.Timeout.String(),
		"reason", "still running "+timeoutName+" after SIGTERM: the runs still going were cut short and have no cron run line")
	if err := file.Close(); err != nil {
		return "", fmt.Errorf("record the kill of cron process %d in its log: %w", entry.PID, err)
	}
	return path, nil
}
