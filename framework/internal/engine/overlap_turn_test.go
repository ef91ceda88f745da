package engine

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// lineOf returns the first line of logs of job with outcome.
func lineOf(t *testing.T, logs *logBuffer, outcome string) map[string]any {
	t.Helper()
	for _, line := range logs.lines(t) {
		if line["job"] == "long" && line["outcome"] == outcome {
			return line
		}
	}
	t.Fatalf("no line with outcome %s in %v", outcome, logs.lines(t))
	return nil
}

func TestOverlapBufferOneRunsOneWaitingTickAfterTheRun(t *testing.T) {
	release := make(chan struct{})
	a, b, logsA, logsB := twoProcesses(t, release, WithOverlap(OverlapBufferOne))
	tick := time.Now().Truncate(time.Second)
	done := make(chan struct{})
	go func() { defer close(done); fire(a, 0, tick) }()
	waitUntil(t, "a's run to start", func() bool { return commandStarted(a) })
	fire(b, 0, tick.Add(time.Second))
	fire(b, 0, tick.Add(2*time.Second))
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "buffered,skipped" {
		t.Fatalf("b: %s; want the first tick buffered, the second skipped (one waits already)", got)
	}
	close(release)
	<-done
	waitUntil(t, "the buffered tick to run on a", func() bool { return len(outcomes(t, logsA, "long")) == 2 })
	a.state.Load().tasks.Wait()
	if got := strings.Join(outcomes(t, logsA, "long"), ","); got != "ok,ok" {
		t.Fatalf("a: %s; want its run, then the buffered tick's", got)
	}
	last := logsA.lines(t)[len(logsA.lines(t))-1]
	if last["tick"] != tick.Add(time.Second).Format(time.RFC3339) || last["origin"] != "buffered" || last["waited_ms"] == nil {
		t.Errorf("the buffered run's line = %v; want its own tick, origin buffered and waited_ms", last)
	}
}

func TestOverlapBufferAllRunsEveryWaitingTickInOrder(t *testing.T) {
	release := make(chan struct{})
	a, b, logsA, logsB := twoProcesses(t, release, WithOverlap(OverlapBufferAll))
	tick := time.Now().Truncate(time.Second)
	done := make(chan struct{})
	go func() { defer close(done); fire(a, 0, tick) }()
	waitUntil(t, "a's run to start", func() bool { return commandStarted(a) })
	for n := 1; n <= 3; n++ {
		fire(b, 0, tick.Add(time.Duration(n)*time.Second))
	}
	fire(a, 0, tick.Add(4*time.Second)) // the process running the job queues too, and runs nothing twice
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "buffered,buffered,buffered" {
		t.Fatalf("b: %s; want three ticks buffered", got)
	}
	close(release)
	<-done
	waitUntil(t, "the buffered ticks to run", func() bool { return strings.Count(strings.Join(outcomes(t, logsA, "long"), ","), "ok") == 5 })
	a.state.Load().tasks.Wait()
	var ticks []string
	for _, line := range logsA.lines(t) {
		if line["job"] == "long" && line["outcome"] == "ok" {
			ticks = append(ticks, line["tick"].(string))
		}
	}
	if len(ticks) != 5 {
		t.Fatalf("a ran ticks %v; want 5 runs", ticks)
	}
	for n := range 5 {
		if ticks[n] != tick.Add(time.Duration(n)*time.Second).Format(time.RFC3339) {
			t.Fatalf("a ran ticks %v; want every tick once, in order", ticks)
		}
	}
}

func TestOverlapCancelOtherCancelsTheRunOnThisProcess(t *testing.T) {
	release := make(chan struct{})
	a, _, logsA, _ := twoProcesses(t, release, WithOverlap(OverlapCancelOther))
	tick := time.Now().Truncate(time.Second)
	first := make(chan struct{})
	go func() { defer close(first); fire(a, 0, tick) }()
	waitUntil(t, "a's run to start", func() bool { return commandStarted(a) })
	second := make(chan struct{})
	go func() { defer close(second); fire(a, 0, tick.Add(time.Second)) }()
	<-first
	killed := lineOf(t, logsA, "killed")
	if reason, _ := killed["reason"].(string); !strings.Contains(reason, "replaced by tick "+tick.Add(time.Second).Format(time.RFC3339)) {
		t.Errorf("the cancelled run's line = %v; want the replacing tick named", killed)
	}
	waitUntil(t, "the new run to start", func() bool { return commandStarted(a) })
	close(release)
	<-second
	if got := strings.Join(outcomes(t, logsA, "long"), ","); got != "killed,ok" {
		t.Fatalf("a: %s; want the old run killed, then the new one ok", got)
	}
}

func TestOverlapCancelOtherSendsAKillToTheHolder(t *testing.T) {
	release := make(chan struct{})
	a, b, logsA, logsB := twoProcesses(t, release, WithOverlap(OverlapCancelOther))
	tick := time.Now().Truncate(time.Second)
	first := make(chan struct{})
	go func() { defer close(first); fire(a, 0, tick) }()
	waitUntil(t, "a's run to start", func() bool { return commandStarted(a) })
	second := make(chan struct{})
	go func() { defer close(second); fire(b, 0, tick.Add(time.Second)) }()
	for _, process := range []*Scheduler{b, a} { // b's heartbeat must not kill b's own run to come
		state := process.state.Load()
		stored, err := record.EncodeProcess(record.Process{AppID: state.env.AppID, Heartbeat: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the kill request", func() bool {
			orders, err := state.env.Backend.Heartbeat(context.Background(), stored, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			state.applyOrders(orders)
			return len(orders.Requests) > 0
		})
	}
	<-first
	waitUntil(t, "b's run to start", func() bool { return commandStarted(b) })
	close(release)
	<-second
	if got := strings.Join(outcomes(t, logsA, "long"), ","); got != "killed" {
		t.Errorf("a: %s; want its run killed by b's tick", got)
	}
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "ok" {
		t.Errorf("b: %s; want its tick run once a's run ended", got)
	}
}

func TestOverlapBufferTakesTheTicksADeadHolderLeft(t *testing.T) {
	release := make(chan struct{})
	close(release) // the runs return at once
	_, b, _, logsB := twoProcesses(t, release, WithOverlap(OverlapBufferOne))
	state := b.state.Load()
	tick := time.Now().Truncate(time.Second)
	dead := contract.RunLease{Service: "long", Holder: "dead", Tick: tick}
	if _, err := state.env.Backend.AcquireRun(context.Background(), dead, time.Second); err != nil {
		t.Fatal(err)
	}
	fire(b, 0, tick.Add(time.Second))
	if got := strings.Join(outcomes(t, logsB, "long"), ","); got != "buffered" {
		t.Fatalf("b: %s; want its tick buffered behind the dead holder's run", got)
	}
	time.Sleep(1100 * time.Millisecond) // the dead holder's lease expires
	state.takeOrphans()
	waitUntil(t, "the buffered tick to run", func() bool { return len(outcomes(t, logsB, "long")) == 2 })
	state.tasks.Wait()
	if last := logsB.lines(t)[len(logsB.lines(t))-1]; last["outcome"] != "ok" || last["origin"] != "buffered" {
		t.Fatalf("b's last line = %v; want the buffered tick run", last)
	}
}

// Two answers naming one turn (a take after a release racing the queueing of a tick) start one run.
func TestOverlapBufferStartsATurnOnce(t *testing.T) {
	release := make(chan struct{})
	_, b, _, _ := twoProcesses(t, release, WithOverlap(OverlapBufferAll))
	j, state := b.jobs[0], b.state.Load()
	turn := contract.RunLease{Service: "long", Holder: "b", Tick: time.Now().Truncate(time.Second)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	took := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if j.tookTurn(turn, state) {
				mu.Lock()
				took++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if took != 1 {
		t.Fatalf("%d of 8 callers took one turn; want 1", took)
	}
	if j.tookTurn(contract.RunLease{Service: "long", Holder: "a", Tick: turn.Tick.Add(time.Second)}, state) {
		t.Fatal("a turn of another process taken")
	}
	requested := contract.RunLease{Service: "long", Holder: "b", Tick: turn.Tick.Add(time.Minute)} // cron run --overlap forbid
	j.hold(state, requested, time.Now())
	defer j.lease.Store(nil)
	if j.tookTurn(requested, state) {
		t.Fatal("the lease of a run request this process holds taken as a turn")
	}
	if !j.tookTurn(contract.RunLease{Service: "long", Holder: "b", Tick: turn.Tick.Add(time.Second)}, state) {
		t.Fatal("a queued tick older than the run request's lease not taken as a turn")
	}
}
