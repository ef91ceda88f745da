package command

import (
	"io"
	"log/slog"

	"github.com/hadeframe/hade/framework/internal/cronprocess"
	"github.com/hadeframe/hade/framework/internal/kernel"
)

// newCronLogger returns the logger of a cron process writing to w from level up (cronprocess.NewLogger),
// and makes it the destination of the backend's own messages (its client's included), so none of them
// reaches stderr as plain text.
func newCronLogger(root *kernel.Root, w io.Writer, level slog.Level) *slog.Logger {
	logger := cronprocess.NewLogger(w, level)
	root.SetBackendLogger(logger)
	return logger
}
