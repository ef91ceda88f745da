package engine

import (
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/internal/order"
)

// catchUp starts, for each entry with WithCatchUp, the claim and run of its latest tick before now, when
// that tick is at most the grace old, in a goroutine Stop waits for.
func (s *Scheduler) catchUp(state *running, now time.Time) {
	for _, j := range s.jobs {
		grace := j.spec.options.catchUp
		if grace == 0 {
			continue
		}
		tick := j.spec.schedule.Latest(now, grace)
		if tick.IsZero() {
			continue
		}
		state.tasks.Add(1)
		go func() {
			defer state.tasks.Done()
			j.handle(state, tick, time.Now(), runMode{catchUp: grace})
		}()
	}
}

// The origin of a run besides its schedule (the "origin" of its line and record), and the key of a
// buffered tick's wait in its queue.
const (
	originKey      = "origin"
	originRequest  = "request"
	originBackfill = "backfill"
	originBuffered = "buffered"
	waitedKey      = "waited_ms"
)

// runMode says why a tick is handled besides its schedule: an operator's run request, a catch-up, or a
// buffered tick's turn.
type runMode struct {
	request *order.Request // `cron run`: run once, no claim, even while paused
	catchUp time.Duration  // a catch-up claim: its window is ±catchUp, not ±hold time
	queued  *queuedRun     // a buffered tick taken off its queue, with the run lease: no claim
}

// backfills reports whether the mode is a tick of `cron backfill`.
func (m runMode) backfills() bool {
	return m.request != nil && m.request.Kind == order.Backfill
}

// attrs are the log attributes of the mode.
func (m runMode) attrs() []slog.Attr {
	switch {
	case m.backfills():
		return []slog.Attr{slog.String("request", m.request.ID), slog.String(originKey, originBackfill)}
	case m.request != nil:
		return []slog.Attr{slog.String("request", m.request.ID), slog.String(originKey, originRequest)}
	case m.catchUp > 0:
		return []slog.Attr{slog.Bool("catch_up", true)}
	case m.queued != nil:
		return []slog.Attr{slog.String(originKey, originBuffered),
			slog.Float64(waitedKey, milliseconds(m.queued.sent.Sub(m.queued.lease.Tick)))}
	}
	return nil
}
