package scheduler

import (
	"context"
	"log/slog"
	"time"
)

// logMissed writes one line for a gap of count ticks this entry skipped, first to last, because the process
// was late: robfig/cron fires a late entry once, then skips to the next tick after its late now. A
// distributed entry's skipped ticks may have run on another process.
func (j *job) logMissed(first, last time.Time, count int) {
	state := j.scheduler.state.Load()
	if state == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("tick", first.Format(time.RFC3339)),
		slog.String("outcome", outcomeMissed),
		slog.Int("count", count),
		slog.String("last_tick", last.Format(time.RFC3339)),
		slog.String("reason", "this process was late (stalled, suspended or its clock jumped) and did not handle these ticks"),
	}
	if count >= maxMissedCount {
		attrs = append(attrs, slog.Bool("count_capped", true))
	}
	j.entryLogger(state.env).LogAttrs(context.Background(), outcomeLevel(outcomeMissed), "cron run", attrs...)
	if j.spec.Type == Normal { // a distributed entry's ticks are the cluster's: recorded from its fence
		rec := j.runRecord(state.env, first, outcomeMissed, time.Now(), time.Time{}, time.Now(), "")
		rec.Count, rec.LastTick = count, last
		state.record(rec)
	}
}
