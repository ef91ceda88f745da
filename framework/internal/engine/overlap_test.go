package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/internal/order"
)

// twoProcesses returns two schedulers sharing one backend, each with a distributed entry "long" whose
// command waits for release (or its context), registered with options.
func twoProcesses(t *testing.T, release chan struct{}, options ...EntryOption) (a, b *Scheduler, logsA, logsB *logBuffer) {
	t.Helper()
	backend := memory.NewStore(nil).Open(backend.Retention{})
	long := func() *cobra.Command {
		return runnable("long", func(cmd *cobra.Command, _ []string) error {
			select {
			case <-release:
				return nil
			case <-cmd.Context().Done():
				return cmd.Context().Err()
			}
		})
	}
	logsA, logsB = &logBuffer{}, &logBuffer{}
	for i, logs := range []*logBuffer{logsA, logsB} {
		s := New()
		s.AddDistributedCronCommand("long", "* * * * * *", long(), 5*time.Second, options...)
		env := testEnvironment(logs, []string{"a", "b"}[i])
		env.Backend = backend
		startWithoutTimer(t, s, env)
		if i == 0 {
			a = s
		} else {
			b = s
		}
	}
	return a, b, logsA, logsB
}

// commandStarted reports whether a command of s is running.
func commandStarted(s *Scheduler) bool {
	state := s.state.Load()
	state.mu.Lock()
	defer state.mu.Unlock()
	for run := range state.active {
		if run.since.Load() != 0 {
			return true
		}
	}
	return false
}

// startRun fires s's first entry at the current second in the background and returns that tick once
// its command runs, with a channel closed when the run has been handled.
func startRun(t *testing.T, s *Scheduler) (time.Time, chan struct{}) {
	t.Helper()
	tick := time.Now().Truncate(time.Second)
	done := make(chan struct{})
	go func() { defer close(done); fire(s, 0, tick) }()
	waitUntil(t, "the run to start", func() bool { return commandStarted(s) })
	return tick, done
}

func TestOverlapForbidSkipsWhileAnotherProcessRuns(t *testing.T) {
	release := make(chan struct{})
	a, b, logsA, logsB := twoProcesses(t, release)
	tick, done := startRun(t, a)
	fire(b, 0, tick.Add(time.Second))
	close(release)
	<-done
	fire(b, 0, tick.Add(2*time.Second))
	if got := strings.Join(outcomes(t, logsA, "long"), ","); got != "ok" {
		t.Errorf("a: %s; want ok", got)
	}
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "skipped,ok" {
		t.Errorf("b: %s; want skipped while a runs, then ok", got)
	}
	for _, line := range logsB.lines(t) {
		if line["outcome"] == "skipped" && (line["holder"] != "a" || !strings.Contains(line["reason"].(string), "still runs on process a")) {
			t.Errorf("the skip does not name the holder: %v", line)
		}
	}
}

func TestOverlapForbidTickWaitsForAReleaseOnItsWay(t *testing.T) {
	release := make(chan struct{})
	a, b, logsA, logsB := twoProcesses(t, release)
	tick, done := startRun(t, a)
	next := make(chan struct{})
	go func() { defer close(next); fire(b, 0, tick.Add(time.Second)) }() // won while a's run holds the lease
	time.Sleep(50 * time.Millisecond)
	close(release) // a's run ends and gives the lease back while b's tick asks again
	<-done
	<-next
	if got := strings.Join(outcomes(t, logsA, "long"), ","); got != "ok" {
		t.Errorf("a: %s; want ok", got)
	}
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "ok" {
		t.Errorf("b: %s; want ok: its tick asks for the lease again once a's run has given it back", got)
	}
}

func TestOverlapAllowRunsAlongside(t *testing.T) {
	release := make(chan struct{})
	a, b, _, logsB := twoProcesses(t, release, WithOverlap(OverlapAllow))
	tick, done := startRun(t, a)
	go close(release)
	fire(b, 0, tick.Add(time.Second))
	<-done
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "ok" {
		t.Errorf("b: %s; want ok: overlap allowed", got)
	}
}

// A holder that could not renew its lease in time (here: its deadline is moved into the past, as after a
// stall) sees its context ended at once, its run ends as lease_lost, and the lease is given back.
func TestLeaseLostEndsTheRun(t *testing.T) {
	release := make(chan struct{})
	a, b, logsA, logsB := twoProcesses(t, release)
	tick := time.Now().Truncate(time.Second)
	done := make(chan struct{})
	go func() { defer close(done); fire(a, 0, tick) }()
	waitUntil(t, "a's run to hold the lease", func() bool { return a.jobs[0].lease.Load() != nil })
	held := a.jobs[0].lease.Load()
	held.mu.Lock()
	held.deadline = time.Now().Add(-time.Millisecond)
	held.mu.Unlock()
	if err := (leaseContext{Context: context.Background(), held: held}).Err(); err == nil {
		t.Error("the context of a run past its lease deadline has no error")
	}
	<-done
	close(release)
	fire(b, 0, tick.Add(time.Second))
	if got := strings.Join(outcomes(t, logsA, "long"), ","); got != outcomeLeaseLost {
		t.Errorf("a: %s; want lease_lost", got)
	}
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "ok" {
		t.Errorf("b: %s; want ok: the lease was given back", got)
	}
}

// A run requested by an operator takes the run lease too: it is skipped while another run holds it.
func TestRequestedRunHonoursTheLease(t *testing.T) {
	release := make(chan struct{})
	a, b, _, logsB := twoProcesses(t, release)
	tick := time.Now().Truncate(time.Second)
	done := make(chan struct{})
	go func() { defer close(done); fire(a, 0, tick) }()
	waitUntil(t, "a's run to hold the lease", func() bool { return a.jobs[0].lease.Load() != nil })
	request := order.Request{ID: "r1", Job: "long", Kind: order.Run, Made: time.Now()}
	now := time.Now()
	outcome, _ := b.jobs[0].handle(b.state.Load(), now, now, runMode{request: &request})
	close(release)
	<-done
	if outcome != outcomeSkipped {
		t.Errorf("requested run while a runs: %s; want skipped", outcome)
	}
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "skipped" {
		t.Errorf("b: %s; want skipped", got)
	}
}

// A run request's overlap override: allow runs beside the run that holds the lease; forbid, on an entry
// under OverlapAllow, is skipped while that run holds the lease it took.
func TestRequestedRunOverridesTheOverlapPolicy(t *testing.T) {
	for _, c := range []struct {
		name, overlap string
		options       []EntryOption
		want          string
	}{
		{"allow beside a forbid run", order.OverlapAllow, nil, outcomeOK},
		{"forbid on an allow entry", order.OverlapForbid, []EntryOption{WithOverlap(OverlapAllow)}, outcomeSkipped},
	} {
		t.Run(c.name, func(t *testing.T) {
			release := make(chan struct{})
			a, b, _, _ := twoProcesses(t, release, c.options...)
			holder := a
			if c.overlap == order.OverlapForbid { // the first run must hold the lease: a forbid request of a
				holder = b // runs on a, and b's requested run takes it
			}
			request := order.Request{ID: "r1", Job: "long", Kind: order.Run, Made: time.Now(), Overlap: c.overlap}
			done := make(chan struct{})
			go func() {
				defer close(done)
				now := time.Now()
				if c.overlap == order.OverlapForbid {
					holder.jobs[0].handle(holder.state.Load(), now, now, runMode{request: &request})
				} else {
					fire(holder, 0, now.Truncate(time.Second))
				}
			}()
			waitUntil(t, "the first run to hold the lease", func() bool { return holder.jobs[0].lease.Load() != nil })
			other := map[*Scheduler]*Scheduler{a: b, b: a}[holder]
			second := request
			second.ID = "r2"
			if c.overlap == order.OverlapAllow {
				go func() { time.Sleep(100 * time.Millisecond); close(release) }()
			}
			now := time.Now()
			outcome, _ := other.jobs[0].handle(other.state.Load(), now, now, runMode{request: &second})
			if c.overlap == order.OverlapForbid {
				close(release)
			}
			<-done
			if outcome != c.want {
				t.Errorf("the requested run with --overlap %s: %s; want %s", c.overlap, outcome, c.want)
			}
		})
	}
}
