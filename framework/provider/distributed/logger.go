package distributed

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zapgrpc"
	"google.golang.org/grpc/grpclog"
)

var backendLogger atomic.Pointer[slog.Logger]

// init makes gRPC's logger (the etcd client's transport; process-wide, and only safe to replace before gRPC
// runs) write its warnings and errors to logger() as "etcd-client" lines, whatever logger() is then.
func init() {
	grpclog.SetLoggerV2(zapgrpc.NewLogger(newZapLogger(nil).WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))))
}

// SetLogger makes logger (process-wide) the destination of the backends' own messages: the start and end
// of an etcd outage, and the etcd client's log lines (which it writes through zap), at their levels, as
// `{"msg":"etcd-client","message":...,<fields>}`, and so do gRPC's own warnings and errors; nil restores
// slog.Default(). It takes effect at once, for the backends already made too.
func SetLogger(logger *slog.Logger) { backendLogger.Store(logger) }

func logger() *slog.Logger {
	if l := backendLogger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// retryFailed is the etcd client's line for each failed attempt of a call. The backend logs an outage once
// itself, so these go at DEBUG; their error (the connection's, e.g. a certificate problem, which the call
// itself reports only as a deadline) is kept for the backend's messages.
const retryFailed = "retrying of unary invoker failed"

// newZapLogger returns a zap logger writing to logger() (as it is at each write), for the etcd client;
// when lastError is not nil it receives the error of each failed attempt.
func newZapLogger(lastError *atomic.Pointer[string]) *zap.Logger {
	return zap.New(slogCore{lastError: lastError})
}

// slogCore is a zapcore.Core that passes entries to logger().
type slogCore struct {
	fields    []zapcore.Field
	lastError *atomic.Pointer[string]
}

func slogLevel(level zapcore.Level) slog.Level {
	switch {
	case level <= zapcore.DebugLevel:
		return slog.LevelDebug
	case level == zapcore.InfoLevel:
		return slog.LevelInfo
	case level == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// Enabled reports whether the slog logger takes level.
func (c slogCore) Enabled(level zapcore.Level) bool {
	return logger().Enabled(context.Background(), slogLevel(level))
}

// With returns the core with fields added to every entry.
func (c slogCore) With(fields []zapcore.Field) zapcore.Core {
	return slogCore{fields: append(slices.Clip(c.fields), fields...), lastError: c.lastError}
}

// Check adds the core to checked when it takes entry's level (always for retryFailed, to keep its error).
func (c slogCore) Check(entry zapcore.Entry, checked *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(entry.Level) || entry.Message == retryFailed {
		return checked.AddCore(entry, c)
	}
	return checked
}

// Write logs entry with the core's fields and fields.
func (c slogCore) Write(entry zapcore.Entry, fields []zapcore.Field) error {
	encoder := zapcore.NewMapObjectEncoder()
	for _, field := range append(slices.Clip(c.fields), fields...) {
		field.AddTo(encoder)
	}
	level := slogLevel(entry.Level)
	if entry.Message == retryFailed {
		level = slog.LevelDebug
		if text, ok := encoder.Fields["error"].(string); ok && c.lastError != nil {
			c.lastError.Store(&text)
		}
	}
	attrs := []any{"message", strings.TrimSpace(entry.Message)}
	if entry.LoggerName != "" {
		attrs = append(attrs, "logger", entry.LoggerName)
	}
	for _, name := range slices.Sorted(maps.Keys(encoder.Fields)) {
		attrs = append(attrs, name, encoder.Fields[name])
	}
	logger().Log(context.Background(), level, "etcd-client", attrs...)
	return nil
}

// Sync does nothing: slog handlers write at once.
func (c slogCore) Sync() error { return nil }
