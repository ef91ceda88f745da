package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// countRun counts the run of a won tick of a job with WithLimitedRuns in the backend (CountRun) before
// it runs: it returns an outcome when the tick must not run (the limit is reached: skipped, once per
// process, then the job claims no more; the count failed: error, fail closed), else "".
func (j *job) countRun(state *running, tick time.Time) (string, []slog.Attr) {
	limit := j.spec.options.limit
	if limit == 0 {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlCallTimeout)
	defer cancel()
	run := contract.RunLease{Service: j.spec.ServiceName, Holder: state.env.AppID, Tick: tick}
	count, counted, err := state.env.Backend.CountRun(ctx, run, limit)
	if observer := state.env.Observer; err == nil && observer != nil {
		observer.RunsLeft(j.spec.Name, max(limit-count, 0))
	}
	switch {
	case err != nil:
		return outcomeError, []slog.Attr{slog.String("error", "count run (WithLimitedRuns): "+err.Error())}
	case !counted:
		j.ranOut.Store(true)
		return outcomeSkipped, []slog.Attr{slog.String("reason", j.ranOutReason())}
	}
	return "", []slog.Attr{slog.Int("run_count", count)}
}

// ranOutReason says why a job with WithLimitedRuns runs no more.
func (j *job) ranOutReason() string {
	return fmt.Sprintf("the job ran its %d runs (WithLimitedRuns): it runs no more", j.spec.options.limit)
}
