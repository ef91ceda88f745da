package etcd

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// retryFailed is the etcd client's line for each failed attempt of a call. The backend logs an outage once
// itself, so these go at DEBUG; their error (the connection's, e.g. a certificate problem, which the call
// itself reports only as a deadline) is kept for the backend's messages.
const retryFailed = "retrying of unary invoker failed"

// newZapLogger returns a zap logger writing to logger as "etcd-client" lines, for the etcd client: the
// client's logger is set on the client, gRPC's process-wide one is left alone. When lastError is not nil
// it receives the error of each failed attempt.
func newZapLogger(logger *slog.Logger, lastError *atomic.Pointer[string]) *zap.Logger {
	return zap.New(slogCore{logger: logger, lastError: lastError})
}

// slogCore is a zapcore.Core that passes entries to a slog logger.
type slogCore struct {
	logger    *slog.Logger
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
	return c.logger.Enabled(context.Background(), slogLevel(level))
}

// With returns the core with fields added to every entry.
func (c slogCore) With(fields []zapcore.Field) zapcore.Core {
	return slogCore{logger: c.logger, fields: append(slices.Clip(c.fields), fields...), lastError: c.lastError}
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
	c.logger.Log(context.Background(), level, "etcd-client", attrs...)
	return nil
}

// Sync does nothing: slog handlers write at once.
func (c slogCore) Sync() error { return nil }
