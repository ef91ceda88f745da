package command

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hadeframe/hade/framework/daemon"
)

// recordKill appends a "cron killed" line to the structured log of a process `cron stop` killed with
// SIGKILL (a daemon's cron.log; a foreground process logs to stdout, which only its owner sees), since the
// runs it had going were cut short without a "cron run" line. It returns " (recorded in <log>)" for the
// stop's own message, or "" when the process has no log file.
func recordKill(entry daemon.Entry, timeout time.Duration) (string, error) {
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
	logger := slog.New(slog.NewJSONHandler(file, nil))
	logger.Error("cron killed", "pid", entry.PID, "app_id", entry.Record.AppID, "signal", "SIGKILL", "by", "cron stop",
		"timeout", timeout.String(),
		"reason", "still running --timeout after SIGTERM: the runs still going were cut short and have no cron run line")
	if err := file.Close(); err != nil {
		return "", fmt.Errorf("record the kill of cron process %d in its log: %w", entry.PID, err)
	}
	return " (recorded in " + path + ")", nil
}
