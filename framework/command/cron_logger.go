package command

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/provider/distributed"
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

// newCronLogger returns the JSON logger of a cron process writing to w from level up, and makes it the
// destination of go-redis's and the etcd client's own messages (process-wide), so none of them reaches
// stderr as plain text.
func newCronLogger(w io.Writer, level slog.Level) *slog.Logger {
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	redis.SetLogger(redisLogger{logger: logger})
	distributed.SetLogger(logger)
	return logger
}

// redisLogger passes go-redis's messages (dial failures, pool and reconnect notices) to a slog logger at
// WARN, as `{"msg":"go-redis","message":...}`.
type redisLogger struct{ logger *slog.Logger }

// Printf logs one go-redis message; its arguments are those of fmt.Printf.
func (l redisLogger) Printf(ctx context.Context, format string, args ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	l.logger.Log(ctx, slog.LevelWarn, "go-redis", "message", strings.TrimSpace(fmt.Sprintf(format, args...)))
}
