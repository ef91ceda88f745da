package cronprocess

import (
	"io"
	"log/slog"
)

// NewLogger returns the logger of a cron process: one JSON object per line on w, from level up.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
