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
		now := time.Now()
		rec := j.runRecord(state.env, first, outcomeMissed, now, time.Time{}, now, "this process was late (stalled, suspended or its clock jumped)")
		rec.Count, rec.LastTick = count, last
		state.record(rec)
	}
}

// missedByCluster is the reason of a gap in a distributed entry's fence.
const missedByCluster = "no process ran these ticks: every process was down, stalled, late or failing to claim"

// recordGap logs and records, once for the cluster, the ticks of this distributed entry strictly between
// previous (the tick the fence held before this process won tick) and tick: no process won them.
func (j *job) recordGap(state *running, previous, tick time.Time) {
	var first, last time.Time
	count := 0
	for t := j.spec.schedule.Next(previous); !t.IsZero() && t.Before(tick) && count < maxMissedCount; t = j.spec.schedule.Next(t) {
		if count == 0 {
			first = t
		}
		last, count = t, count+1
	}
	if count == 0 {
		return
	}
	attrs := []slog.Attr{
		slog.String("tick", first.Format(time.RFC3339)),
		slog.String("outcome", outcomeMissed),
		slog.Int("count", count),
		slog.String("last_tick", last.Format(time.RFC3339)),
		slog.String("reason", missedByCluster),
	}
	if count >= maxMissedCount {
		attrs = append(attrs, slog.Bool("count_capped", true))
	}
	j.entryLogger(state.env).LogAttrs(context.Background(), outcomeLevel(outcomeMissed), "cron run", attrs...)
	now := time.Now()
	rec := j.runRecord(state.env, first, outcomeMissed, now, time.Time{}, now, missedByCluster)
	rec.Count, rec.LastTick = count, last
	state.record(rec)
}
