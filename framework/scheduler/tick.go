package scheduler

import (
	"context"
	"time"

	"github.com/hadeframe/hade/framework/internal/engine"
)

// TickFrom returns the tick (scheduled fire time) of the cron run whose context is ctx (a job's
// cmd.Context()), so a job can name its output after it (idempotent by scheduled time). ok is false
// outside a cron run.
func TickFrom(ctx context.Context) (tick time.Time, ok bool) { return engine.TickFrom(ctx) }
