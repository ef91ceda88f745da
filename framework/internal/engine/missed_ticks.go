package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/internal/schedule"
)

// Reasons of the two kinds of gaps.
const (
	missedByProcess = "this process was late (stalled, suspended or its clock jumped) and did not handle these ticks"
	missedByCluster = "no process ran these ticks: every process was down, stalled, late or failing to claim"
)

// logMissed writes one line for a gap of count ticks this entry skipped, first to last, because the process
// was late: robfig/cron fires a late entry once, then skips to the next tick after its late now. A normal
// entry's gap is recorded too; a distributed entry's skipped ticks may have run on another process, and
// the ones no process ran are recorded from its fence (recordGap).
func (j *job) logMissed(first, last time.Time, count int) {
	if state := j.scheduler.state.Load(); state != nil {
		j.reportGap(state, first, last, count, missedByProcess, j.spec.Type == normal)
	}
}

// recordGap logs and records, once for the cluster, the ticks of this distributed entry strictly between
// previous (the tick the fence held before this process won tick) and tick: no process won them.
func (j *job) recordGap(state *running, previous, tick time.Time) {
	if first, last, count := j.spec.schedule.Between(previous, tick); count > 0 {
		j.reportGap(state, first, last, count, missedByCluster, true)
	}
}

// reportGap writes the "missed" line of count ticks first to last and, with record, their one record.
func (j *job) reportGap(state *running, first, last time.Time, count int, reason string, record bool) {
	attrs := []slog.Attr{
		slog.String("tick", first.Format(time.RFC3339)),
		slog.String("outcome", outcomeMissed),
		slog.Int("count", count),
		slog.String("last_tick", last.Format(time.RFC3339)),
		slog.String("reason", reason),
	}
	if count >= schedule.MaxCount {
		attrs = append(attrs, slog.Bool("count_capped", true))
	}
	j.entryLogger(state.env).LogAttrs(context.Background(), outcomeLevel(outcomeMissed), "cron run", attrs...)
	if record {
		now := time.Now()
		rec := j.runRecord(state.env, first, outcomeMissed, now, time.Time{}, now, reason)
		rec.Count, rec.LastTick = count, last
		state.record(rec)
		state.settled(&rec)
	}
}
