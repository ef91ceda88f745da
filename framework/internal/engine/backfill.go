package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
	"github.com/hadeframe/hade/framework/internal/record"
)

// backfillRequested runs request, a backfill of j, if this process takes it first: it answers started,
// runs each tick of [From, To) oldest first, and answers the result.
func (j *job) backfillRequested(state *running, request order.Request) {
	ctx, cancel := context.WithTimeout(context.Background(), controlCallTimeout)
	taken, err := state.env.Backend.TakeRequest(ctx, request.ID, state.env.AppID)
	cancel()
	if err != nil {
		j.entryLogger(state.env).Error("cron backfill request", "request", request.ID, "error", "take the request: "+err.Error())
		return
	}
	if !taken {
		return
	}
	state.answer(j, request.ID, string(order.Started), "")
	outcome, detail := j.backfill(state, request)
	state.answer(j, request.ID, outcome, detail)
}

// backfill runs the ticks of request, each once for the cluster: a tick the history shows ran, or one an
// earlier backfill marked (contract.RunLeases.MarkRun), is skipped; the others run as requested runs, one
// at a time. It returns "ok" when none failed, else "error", with a summary.
func (j *job) backfill(state *running, request order.Request) (outcome, detail string) {
	ticks, err := order.BackfillTicks(j.spec.Next, request.From, request.To)
	if err != nil {
		return outcomeError, err.Error()
	}
	ran, err := j.ranTicks(state, request.From)
	if err != nil {
		return outcomeError, "read the run history: " + err.Error()
	}
	counts := map[string]int{}
	failed := ""
	for i, tick := range ticks {
		if state.claims.Err() != nil {
			return outcomeNotRun, fmt.Sprintf("the process stopped after %d of %d ticks (%s)", i, len(ticks), countText(counts))
		}
		outcome, why := j.backfillTick(state, request, tick, ran)
		counts[outcome]++
		if failed == "" && failedOrNotRun(outcome) {
			failed = fmt.Sprintf("; first failure: tick %s %s: %s", tick.Format(time.RFC3339), outcome, why)
		}
	}
	if failed != "" {
		return outcomeError, fmt.Sprintf("%d ticks: %s%s", len(ticks), countText(counts), failed)
	}
	return outcomeOK, fmt.Sprintf("%d ticks: %s", len(ticks), countText(counts))
}

// backfillTick runs tick for request unless it ran already (ran, or marked by another backfill), and
// returns its outcome: skipped, excluded, or the run's.
func (j *job) backfillTick(state *running, request order.Request, tick time.Time, ran map[int64]contract.Outcome) (string, string) {
	mode := runMode{request: &request}
	skip := func(outcome, reason string) (string, string) {
		attrs := append(mode.attrs(), slog.String("reason", reason))
		state.settled(j.report(state, tick, 1, outcome, time.Now(), time.Time{}, attrs))
		return outcome, ""
	}
	if prior, done := ran[tick.UnixMicro()]; done {
		return skip(outcomeSkipped, fmt.Sprintf("the tick already ran (outcome %s): a backfill runs a tick once", prior))
	}
	if spec := j.spec.exclusion(tick); spec != "" {
		return skip(outcomeExcluded, fmt.Sprintf("the tick matches the excluded spec %q", spec))
	}
	ctx, cancel := context.WithTimeout(state.claims, controlCallTimeout)
	marked, err := state.env.Backend.MarkRun(ctx, contract.RunLease{Service: j.markService(), Holder: state.env.AppID, Tick: tick})
	cancel()
	switch {
	case err != nil:
		return skip(outcomeError, "mark the backfilled tick: "+err.Error())
	case !marked:
		return skip(outcomeSkipped, "an earlier backfill ran the tick: a backfill runs a tick once")
	}
	return j.handle(state, tick, time.Now(), mode)
}

// markService is the name j's backfilled ticks are marked under: its service, or a normal entry's job.
func (j *job) markService() string {
	if j.spec.Type == distributed {
		return j.spec.ServiceName
	}
	return j.spec.Name
}

// ranTicks returns the ticks of j at or after since that the history shows ran, with their outcomes.
func (j *job) ranTicks(state *running, since time.Time) (map[int64]contract.Outcome, error) {
	ctx, cancel := context.WithTimeout(state.claims, 10*time.Second)
	defer cancel()
	records, err := state.env.Backend.Runs(ctx, contract.RunQuery{Job: j.spec.Name, Since: since})
	if err != nil {
		return nil, err
	}
	ran := map[int64]contract.Outcome{}
	for _, r := range records {
		if record.Ran(r.Outcome) { // on schedule or in a backfill: a backfill does not run it again
			ran[r.Tick.UnixMicro()] = r.Outcome
		}
	}
	return ran, nil
}

// failedOrNotRun reports whether a backfilled tick's outcome fails the backfill.
func failedOrNotRun(outcome string) bool {
	return outcome != outcomeOK && outcome != outcomeSkipped && outcome != outcomeExcluded
}

// countText is counts as "3 ok, 1 skipped", in a fixed order of outcomes.
func countText(counts map[string]int) string {
	text := ""
	for _, outcome := range append(RecordedOutcomes(), outcomeNotSelected, outcomeBuffered) {
		if n := counts[outcome]; n > 0 {
			if text != "" {
				text += ", "
			}
			text += fmt.Sprintf("%d %s", n, outcome)
		}
	}
	return text
}
