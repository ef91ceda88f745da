package cronprocess

import (
	"fmt"
	"log/slog"
	"strings"
)

// logLevels are the levels a cron process logs from (--log-level, env HADE_LOG_LEVEL), lowest first.
var logLevels = []struct {
	name  string
	level slog.Level
}{{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warn", slog.LevelWarn}, {"error", slog.LevelError}}

// ParseLogLevel returns the slog level named by value: debug, info, warn or error, in any case. Another
// value is an error naming it, the setting (--log-level or HADE_LOG_LEVEL) and the valid ones.
func ParseLogLevel(value string) (slog.Level, error) {
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
