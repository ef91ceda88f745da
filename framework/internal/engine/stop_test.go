package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

// queuedBackend puts claims in line in front of a real (memory) backend, as claims waiting for a batched
// backend call are: each waits until open is closed or its context ends. claimed receives the service of
// each claim the backend answered.
type queuedBackend struct {
	contract.Backend
	open    chan struct{}
	waiting atomic.Int32
	claimed chan string
}

func newQueuedBackend(store *memory.Store, open bool) *queuedBackend {
	q := &queuedBackend{Backend: store.Open(backend.Retention{}), open: make(chan struct{}), claimed: make(chan string, 100)}
	if open {
		close(q.open)
	}
	return q
}

func (q *queuedBackend) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	q.waiting.Add(1)
	select {
	case <-q.open:
	case <-ctx.Done():
		return contract.Claimed{}, fmt.Errorf("claim of %q waiting in line: %w", c.Service, ctx.Err())
	}
	selected, err := q.Backend.ClaimTick(ctx, c)
	q.claimed <- c.Service
	return selected, err
}

// blockingOnce returns a command whose first run signals started and blocks until release is closed,
// ignoring its context; later runs record whether their context was live.
func blockingOnce(started, release chan struct{}, laterLive *atomic.Bool) *cobra.Command {
	var calls atomic.Int32
	return runnable("shared", func(cmd *cobra.Command, _ []string) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
			return nil
		}
		laterLive.Store(cmd.Context().Err() == nil)
		return nil
	})
}

// linesWith returns the lines whose outcome is outcome.
func linesWith(t *testing.T, logs *logBuffer, outcome string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range logs.lines(t) {
		if line["outcome"] == outcome {
			found = append(found, line)
		}
	}
	return found
}

// wonTickWaiting is a scheduler whose normal entry runs a shared command that blocks until release is
// closed, while its distributed entry has won the same tick and waits for that command.
type wonTickWaiting struct {
	s          *Scheduler
	logs       *logBuffer
	backend    *queuedBackend
	release    chan struct{}
	secondLive atomic.Bool // the won tick's run saw a live context
	tick       time.Time
	wg         sync.WaitGroup
}

func startWonTickWaiting(t *testing.T) *wonTickWaiting {
	w := &wonTickWaiting{s: New(), logs: &logBuffer{}, release: make(chan struct{})}
	started := make(chan struct{})
	shared := blockingOnce(started, w.release, &w.secondLive)
	w.s.AddCronCommand("* * * * * *", shared)
	w.s.AddDistributedCronCommand("svc", "* * * * * *", shared, time.Hour)
	w.backend = newQueuedBackend(memory.NewStore(nil), true)
	env := testEnvironment(w.logs, "app")
	env.Backend = w.backend
	startWithoutTimer(t, w.s, env)
	w.tick = time.Now().Truncate(time.Second)
	w.wg.Add(2)
	go func() { defer w.wg.Done(); fire(w.s, 0, w.tick) }()
	<-started
	go func() { defer w.wg.Done(); fire(w.s, 1, w.tick) }()
	<-w.backend.claimed // won; now waiting for the command
	return w
}

// A distributed tick won while its command is busy with another entry's run waits for the command
// through the stop and runs with a live context.
func TestStopRunsAWonTickWaitingForItsCommand(t *testing.T) {
	w := startWonTickWaiting(t)
	s, logs, release := w.s, w.logs, w.release
	wg, secondLive := &w.wg, &w.secondLive
	reports := make(chan StopReport)
	go func() { reports <- s.Stop(10 * time.Second) }()
	<-s.state.Load().claims.Done() // Stop has begun
	close(release)
	report := <-reports
	wg.Wait()

	if report != (StopReport{}) {
		t.Fatalf("Stop reported %+v, want nothing canceled, not run or abandoned", report)
	}
	if !secondLive.Load() {
		t.Fatal("the won tick did not run with a live context")
	}
	won := 0
	for _, line := range linesWith(t, logs, outcomeOK) {
		if line["type"] == "distributed" && line["selected"] == "app" {
			won++
		}
	}
	if len(linesWith(t, logs, outcomeOK)) != 2 || won != 1 {
		t.Fatalf("lines %v: want both ticks ok, the won one with selected=app", logs.lines(t))
	}
}

// Claims waiting in line when Stop begins are cancelled: nothing is won, so another process can still
// claim those ticks; a tick due after Stop claims nothing.
func TestStopCancelsQueuedClaims(t *testing.T) {
	store := memory.NewStore(nil)
	queued := newQueuedBackend(store, false)
	var runs atomic.Int32
	s := New()
	for i := 0; i < 5; i++ {
		s.AddDistributedCronCommand(fmt.Sprintf("svc-%d", i), "* * * * * *",
			runnable(fmt.Sprint("job-", i), func(*cobra.Command, []string) error { runs.Add(1); return nil }), time.Hour)
	}
	logs := &logBuffer{}
	env := testEnvironment(logs, "app")
	env.Backend = queued
	startWithoutTimer(t, s, env)

	tick := time.Now().Truncate(time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); fire(s, i, tick) }()
	}
	for deadline := time.Now().Add(10 * time.Second); queued.waiting.Load() < 5; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 claims in line after 10s", queued.waiting.Load())
		}
	}
	report := s.Stop(10 * time.Second)
	wg.Wait()
	fire(s, 0, tick.Add(time.Second)) // comes due while stopped

	if report != (StopReport{}) || runs.Load() != 0 || queued.waiting.Load() != 5 {
		t.Fatalf("report %+v, %d runs, %d claims: want nothing run and no claim after Stop", report, runs.Load(), queued.waiting.Load())
	}
	notClaimed := linesWith(t, logs, outcomeNotClaimed)
	if len(notClaimed) != 6 || len(logs.lines(t)) != 6 {
		t.Fatalf("lines %v: want 6, all not_claimed", logs.lines(t))
	}
	for _, line := range notClaimed {
		if line["level"] != "INFO" || !strings.Contains(fmt.Sprint(line["reason"]), "stopping") {
			t.Fatalf("line %v: want INFO and a reason naming the stop", line)
		}
	}
	other := store.Open(backend.Retention{})
	for i := 0; i < 5; i++ {
		service := fmt.Sprintf("svc-%d", i)
		selected, err := other.ClaimTick(context.Background(), contract.Claim{Service: service, AppID: "other", Tick: tick,
			HoldTime: time.Hour, LiveUntil: tick.Add(time.Hour)})
		if err != nil || selected.Holder != "other" {
			t.Fatalf("another process claiming %s: %q, %v; want it to win the tick left by the stop", service, selected, err)
		}
	}
}

// At the drain deadline a won tick still waiting for its command is not_run (ERROR), and a run that
// ignores its cancelled context is abandoned (WARN), both reported by Stop.
func TestStopReportsNotRunAndAbandonedRuns(t *testing.T) {
	w := startWonTickWaiting(t)
	s, logs, release, tick := w.s, w.logs, w.release, w.tick
	wg, secondLive := &w.wg, &w.secondLive
	report := s.Stop(50 * time.Millisecond)
	close(release)
	wg.Wait()

	if report != (StopReport{NotRun: 1, Abandoned: 1}) {
		t.Fatalf("Stop reported %+v, want 1 not run and 1 abandoned", report)
	}
	notRun, abandoned := linesWith(t, logs, outcomeNotRun), linesWith(t, logs, outcomeAbandoned)
	if len(notRun) != 1 || notRun[0]["level"] != "ERROR" || notRun[0]["selected"] != "app" || !strings.Contains(fmt.Sprint(notRun[0]["error"]), "still busy") {
		t.Fatalf("not_run lines %v: want one at ERROR naming the busy command", notRun)
	}
	if len(abandoned) != 1 || abandoned[0]["level"] != "WARN" || abandoned[0]["job"] != "shared" || abandoned[0]["tick"] != tick.Format(time.RFC3339) {
		t.Fatalf("abandoned lines %v: want one at WARN with the job and tick", abandoned)
	}
	if secondLive.Load() {
		t.Fatal("the not_run tick ran")
	}
}

// Stop with no run going reports none abandoned, whatever the drain timeout.
func TestStopWithoutRunsAbandonsNothing(t *testing.T) {
	if report := New().Stop(0); report != (StopReport{}) {
		t.Fatalf("Stop before Start reported %+v", report)
	}
	for i := 0; i < 20; i++ {
		s := New()
		s.AddCronCommand("@yearly", runnable("rare", func(*cobra.Command, []string) error { return nil }))
		logs := &logBuffer{}
		if err := s.Start(testEnvironment(logs, "app")); err != nil {
			t.Fatal(err)
		}
		if report := s.Stop(0); report != (StopReport{}) {
			t.Fatalf("Stop(0) with no run going reported %+v", report)
		}
		if lines := logs.lines(t); len(lines) != 0 {
			t.Fatalf("Stop(0) with no run going logged %v", lines)
		}
	}
}
