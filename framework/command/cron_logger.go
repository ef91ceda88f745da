package command

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hadeframe/hade/framework/internal/cronprocess"
	"github.com/hadeframe/hade/framework/internal/kernel"
)

// logLevels are the values of --log-level (env HADE_LOG_LEVEL), in order.
var logLevels = []struct {
	name  string
	level slog.Level
}{{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warn", slog.LevelWarn}, {"error", slog.LevelError}}

// parseLogLevel returns the slog level named by value (case-insensitive), or an error naming the valid ones.
func parseLogLevel(value string) (slog.Level, error) {
	names := make([]string, 0, len(logLevels))
	for _, known := range logLevels {
		if strings.EqualFold(value, known.name) {
			return known.level, nil
		}
		names = append(names, known.name)
	}
	return 0, fmt.Errorf("invalid log level %q (--log-level or HADE_LOG_LEVEL): want one of %s",
		value, strings.Join(names, ", "))
}

// newCronLogger returns the logger of a cron process writing to w from level up (cronprocess.NewLogger),
// and makes it the destination of the backend's own messages (its client's included), so none of them
// reaches stderr as plain text.
func newCronLogger(root *kernel.Root, w io.Writer, level slog.Level) *slog.Logger {
	logger := cronprocess.NewLogger(w, level)
	root.SetBackendLogger(logger)
	return logger
}
