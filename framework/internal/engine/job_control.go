package engine

import (
	"context"
	"maps"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
)

// controlCallTimeout bounds each call a process makes to answer or take a request.
const controlCallTimeout = 2 * time.Second

// isPaused reports whether the last orders paused job.
func (r *running) isPaused(job string) bool {
	_, paused := r.pauseNote(job)
	return paused
}

// pauseNote returns the note of job's pause and whether the last orders paused it.
func (r *running) pauseNote(job string) (note string, paused bool) {
	if all := r.paused.Load(); all != nil {
		note, paused = (*all)[job]
	}
	return note, paused
}

// notePaused adds job with note to the paused jobs this process knows, until the next orders say again.
func (r *running) notePaused(job, note string) {
	for {
		old := r.paused.Load()
		updated := map[string]string{}
		if old != nil {
			maps.Copy(updated, *old) // *old is nil when the last orders paused nothing
		}
		updated[job] = note
		if r.paused.CompareAndSwap(old, &updated) {
			return
		}
	}
}

// applyOrders takes the orders a heartbeat brought: the paused jobs at once, and each request seen for
// the first time for a job of this process (run: in a goroutine Stop waits for; kill: at once). A request
// that does not decode (another version's format), or of a kind this version does not know, is ignored.
// It is called by the heartbeat goroutine only.
func (r *running) applyOrders(orders contract.Orders) {
	paused := maps.Clone(orders.Paused)
	if old := r.paused.Swap(&paused); r.env.Observer != nil && (old == nil || !maps.Equal(*old, paused)) {
		r.env.Observer.Paused(paused)
	}
	now := time.Now()
	for id, made := range r.seen {
		if now.Sub(made) > 2*contract.ControlRequestTTL {
			delete(r.seen, id)
		}
	}
	for _, request := range order.Requests(orders) {
		if _, seen := r.seen[request.ID]; seen {
			continue
		}
		r.seen[request.ID] = request.Made
		j := r.jobs[request.Job]
		switch {
		case j == nil || r.env.Backend == nil:
		case request.Kind == order.Run:
			r.tasks.Add(1)
			go func() {
				defer r.tasks.Done()
				j.runRequested(r, request)
			}()
		case request.Kind == order.Backfill:
			r.tasks.Add(1)
			go func() {
				defer r.tasks.Done()
				j.backfillRequested(r, request)
			}()
		case request.Kind == order.Kill && (request.Target == "" || request.Target == r.env.AppID):
			r.kill(j, request)
		}
	}
}

// runRequested runs j once for request if this process takes it first, and answers the outcome.
func (j *job) runRequested(state *running, request order.Request) {
	ctx, cancel := context.WithTimeout(context.Background(), controlCallTimeout)
	taken, err := state.env.Backend.TakeRequest(ctx, request.ID, state.env.AppID)
	cancel()
	if err != nil {
		j.entryLogger(state.env).Error("cron run request", "request", request.ID, "error", "take the request: "+err.Error())
		return
	}
	if !taken {
		return
	}
	state.answer(j, request.ID, string(order.Started), "")
	started := time.Now()
	outcome, errText := j.handle(state, started.Truncate(time.Millisecond), started, runMode{request: &request})
	state.answer(j, request.ID, outcome, errText)
}

// kill cancels the runs of j in progress on this process, and answers "killed" when there was one.
func (r *running) kill(j *job, request order.Request) {
	killed := 0
	r.mu.Lock()
	for run := range r.active {
		if run.job == j && run.since.Load() != 0 {
			killed++
		}
	}
	r.mu.Unlock()
	j.cancelRuns(killedError{reason: request.Reason})
	if killed > 0 {
		r.tasks.Add(1)
		go func() {
			defer r.tasks.Done()
			r.answer(j, request.ID, outcomeKilled, "")
		}()
	}
}

// answer stores this process's answer to request id (without env.Backend, nothing); a failure is logged.
func (r *running) answer(j *job, id, outcome, detail string) {
	if r.env.Backend == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlCallTimeout)
	defer cancel()
	answer := order.Answer{AppID: r.env.AppID, Outcome: contract.Outcome(outcome), Detail: detail,
		At: time.Now()}
	if err := order.Reply(ctx, r.env.Backend, id, answer); err != nil {
		j.entryLogger(r.env).Error("cron request answer", "request", id, "outcome", outcome, "error", err.Error())
	}
}
