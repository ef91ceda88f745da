package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// stopGrace is how long Stop waits for runs to return after it cancelled their contexts at the drain
// deadline.
const stopGrace = time.Second

// StopReport is what Stop saw of the runs it waited for.
type StopReport struct {
	// Canceled counts the runs that returned their context's error after it was cancelled at the drain
	// deadline (outcome canceled), NotRun the won ticks that never started because their command was busy
	// until then (outcome not_run).
	Canceled, NotRun int
	// Abandoned counts the runs still going stopGrace (1s) after the drain deadline: each was logged with
	// outcome abandoned and is left to the process's exit.
	Abandoned int
}

// running is the state Start publishes to the runs, and Stop's view of them.
type running struct {
	env       *Environment
	output    *outputSink  // nil without env.Output
	recorder  *recorder    // nil without env.Backend
	heartbeat *heartbeat   // nil without env.Backend
	leases    *leaseKeeper // nil without an entry under OverlapForbid

	// runs is the parent of every run's context: it stays live until the drain deadline of Stop.
	runs       context.Context
	cancelRuns context.CancelFunc
	detached   context.Context // runs's values without its cancellation: the parent of each run's context
	// claims is given to ClaimTick: Stop cancels it first, so claims waiting in line give up.
	claims       context.Context
	cancelClaims context.CancelFunc

	jobs   map[string]*job                   // by job name
	paused atomic.Pointer[map[string]string] // job -> pause note, from the last orders (and notePaused)
	seen   map[string]time.Time              // request ids taken (heartbeat goroutine only), and when they were made
	tasks  sync.WaitGroup                    // the goroutines of requests; Stop waits for them

	mu       sync.Mutex
	stopping bool
	active   map[*activeRun]struct{}
	idle     chan struct{} // made by Stop; closed once no run is active
	report   StopReport
}

// activeRun is a run between its start and its log line.
type activeRun struct {
	job     *job
	tick    time.Time
	started time.Time
	since   atomic.Int64 // when the command started (Unix ns); 0 before
	command atomic.Int32 // commandRunning…: the state of a command run in its own goroutine
}

// cancelAll cancels the runs context and every job's runs (a run's context does not derive its
// cancellation from the runs context, see job.runContext).
func (r *running) cancelAll() {
	r.cancelRuns()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		j.cancelRuns(context.Canceled)
	}
}

func newRunning(env Environment) *running {
	state := &running{env: &env, active: map[*activeRun]struct{}{}, jobs: map[string]*job{}, seen: map[string]time.Time{}}
	if env.Output != nil {
		state.output = &outputSink{writer: env.Output}
	}
	detached := context.WithoutCancel(env.Context) // only Stop ends runs and claims
	state.runs, state.cancelRuns = context.WithCancel(detached)
	state.detached = context.WithoutCancel(state.runs)
	state.claims, state.cancelClaims = context.WithCancel(detached)
	return state
}

// begin records a run of j for tick; it returns nil, recording nothing, once Stop has started.
func (r *running) begin(j *job, tick time.Time) *activeRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return nil
	}
	run := &activeRun{job: j, tick: tick, started: time.Now()}
	r.active[run] = struct{}{}
	return run
}

// end forgets run (nil is a no-op) once its line was logged, counting its outcome for StopReport.
func (r *running) end(run *activeRun, outcome string) {
	if run == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.active, run)
	switch outcome {
	case outcomeCanceled:
		r.report.Canceled++
	case outcomeNotRun:
		r.report.NotRun++
	}
	if r.idle != nil && len(r.active) == 0 {
		close(r.idle)
		r.idle = nil
	}
}

// beginStop marks the state stopping and cancels the claims. It returns a channel closed once no run is
// active, and first = false when another Stop got there before.
func (r *running) beginStop() (idle <-chan struct{}, first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return nil, false
	}
	r.stopping = true
	r.cancelClaims()
	done := make(chan struct{})
	if len(r.active) == 0 {
		close(done)
	} else {
		r.idle = done
	}
	return done, true
}

// finishStop logs each run still active as abandoned and returns the report.
func (r *running) finishStop() StopReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	report := r.report
	report.Abandoned = len(r.active)
	for run := range r.active {
		const reason = "still going after the drain timeout and the grace that followed the cancel of its context: left to the process's exit"
		now := time.Now()
		run.job.entryLogger(r.env).LogAttrs(context.Background(), slog.LevelWarn, "cron run",
			slog.String("tick", run.tick.Format(time.RFC3339)),
			slog.String("outcome", outcomeAbandoned),
			slog.String("reason", reason),
			slog.Float64("duration_ms", milliseconds(now.Sub(run.started))),
		)
		commandStarted := time.Time{}
		if since := run.since.Load(); since != 0 {
			commandStarted = time.Unix(0, since)
		}
		r.record(run.job.runRecord(r.env, run.tick, outcomeAbandoned, run.started, commandStarted, now, reason))
	}
	return report
}

// Stop stops the scheduler; it returns at the latest drain + 4.5s after it was called (drain + 1s in the
// absence of a history and a registry). In order:
//   - no new run starts and nothing more is claimed: a tick that comes due from now on is logged with
//     outcome not_claimed (distributed entries: left to the other processes) or skipped (normal entries),
//     and claims waiting in line are cancelled through the context given to ClaimTick;
//   - every tick already won runs with a live context; runs get until drain to finish;
//   - at the drain deadline the runs' contexts are cancelled and runs get 1s more to return: a run that
//     returns its context's error then is logged as canceled (WARN); a won tick still waiting for its
//     command (busy with another entry's run) is logged as not_run (ERROR);
//   - a run still going after that is logged as abandoned (WARN, with its job and tick) and counted in
//     StopReport.Abandoned: it is left to the process's exit;
//   - the goroutines of run and kill requests are waited for (at most 0.5s), the process's registry
//     record is removed (at most 1s) and the run records not yet written are written (at most 2s).
//
// Stop before Start, or after another Stop, returns a zero StopReport at once.
func (s *Scheduler) Stop(drain time.Duration) StopReport {
	state := s.state.Load()
	if state == nil {
		return StopReport{}
	}
	idle, first := state.beginStop()
	if !first {
		return StopReport{}
	}
	cronDone := s.cron.Stop().Done() // robfig's runs started before this are waited for too
	deadline := time.NewTimer(drain)
	defer deadline.Stop()
	if !waitBoth(idle, cronDone, deadline.C) {
		state.cancelAll()
		grace := time.NewTimer(stopGrace)
		defer grace.Stop()
		waitBoth(idle, cronDone, grace.C)
	}
	state.cancelAll()
	report := state.finishStop()
	if state.leases != nil {
		state.leases.stop()
	}
	if state.heartbeat != nil {
		state.heartbeat.stop()
	}
	waitTasks(&state.tasks, stopGrace/2)
	if state.recorder != nil {
		state.recorder.close()
	}
	return report
}

// waitTasks waits for tasks, at most timeout (a task may wait for a run Stop abandoned).
func waitTasks(tasks *sync.WaitGroup, timeout time.Duration) {
	done := make(chan struct{})
	go func() {
		tasks.Wait()
		close(done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
}

// waitBoth waits until a and b are closed (true) or timeout fires (false).
func waitBoth(a, b <-chan struct{}, timeout <-chan time.Time) bool {
	for _, done := range []<-chan struct{}{a, b} {
		select {
		case <-done:
		case <-timeout:
			return false
		}
	}
	return true
}
