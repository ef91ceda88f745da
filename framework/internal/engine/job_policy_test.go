package engine

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
)

// outcomes returns the outcome of each run line of job, in order.
func outcomes(t *testing.T, logs *logBuffer, job string) []string {
	t.Helper()
	var got []string
	for _, line := range logs.lines(t) {
		if line["job"] == job {
			outcome, _ := line["outcome"].(string)
			got = append(got, outcome)
		}
	}
	return got
}

func TestTimeoutEndsTheRunAndAbandonsACommandThatIgnoresIt(t *testing.T) {
	release := make(chan struct{})
	var ignoring atomic.Bool
	s := New()
	s.AddCronCommand("* * * * * *", runnable("polite", func(cmd *cobra.Command, _ []string) error {
		<-cmd.Context().Done()
		return cmd.Context().Err()
	}), WithTimeout(50*time.Millisecond))
	s.AddCronCommand("* * * * * *", runnable("deaf", func(*cobra.Command, []string) error {
		ignoring.Store(true)
		<-release // ignores its context
		return nil
	}), WithTimeout(50*time.Millisecond))
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	tick := time.Now().Truncate(time.Second)
	fire(s, 0, tick)
	fire(s, 1, tick)                  // abandoned after the timeout and timeoutGrace
	fire(s, 1, tick.Add(time.Second)) // its command still runs: skipped
	close(release)
	waitUntil(t, "the abandoned command to return", func() bool { return !s.jobs[1].running.Load() })
	fire(s, 1, tick.Add(2*time.Second))
	if got := strings.Join(outcomes(t, logs, "polite"), ","); got != "timeout" {
		t.Errorf("polite: %s; want timeout", got)
	}
	if got := strings.Join(outcomes(t, logs, "deaf"), ","); got != "timeout,skipped,ok" || !ignoring.Load() {
		t.Errorf("deaf: %s; want timeout (abandoned), skipped while it still runs, ok once it returned", got)
	}
	for _, line := range logs.lines(t) {
		if line["job"] == "deaf" && line["outcome"] == "timeout" && !strings.Contains(line["reason"].(string), "abandoned") {
			t.Errorf("the abandoned run's line does not say so: %v", line)
		}
	}
}

func TestRetryWithBackoffNeverPastTheNextTick(t *testing.T) {
	var calls atomic.Int32
	failTwice := runnable("flaky", func(*cobra.Command, []string) error {
		if calls.Add(1) <= 2 {
			return errors.New("flaked")
		}
		return nil
	})
	var slowCalls atomic.Int32
	alwaysFails := runnable("broken", func(*cobra.Command, []string) error { slowCalls.Add(1); return errors.New("broken") })
	s := New()
	s.AddCronCommand("0 * * * * *", failTwice, WithRetry(3, 20*time.Millisecond))
	s.AddCronCommand("* * * * * *", alwaysFails, WithRetry(5, 400*time.Millisecond))
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	now := time.Now()
	fire(s, 0, now.Truncate(time.Minute))
	fire(s, 1, now.Truncate(time.Second)) // attempts at +0, +0.4s; +1.2s would pass the next tick
	if got := strings.Join(outcomes(t, logs, "flaky"), ","); got != "error,error,ok" {
		t.Errorf("flaky: %s; want error, error, ok", got)
	}
	if got := slowCalls.Load(); got > 2 {
		t.Errorf("broken ran %d attempts; with a 400ms backoff doubling, the third would start past the next tick", got)
	}
	var attempts []float64
	for _, line := range logs.lines(t) {
		if line["job"] == "flaky" {
			attempt, _ := line["attempt"].(float64)
			attempts = append(attempts, attempt)
		}
	}
	if len(attempts) != 3 || attempts[0] != 0 || attempts[1] != 2 || attempts[2] != 3 {
		t.Errorf("attempt numbers %v; want none on the first line, then 2 and 3", attempts)
	}
}

func TestKillEndsTheRunWithKilledAndNoRetry(t *testing.T) {
	started := make(chan struct{}, 1)
	var calls atomic.Int32
	s := New()
	s.AddCronCommand("* * * * * *", runnable("long", func(cmd *cobra.Command, _ []string) error {
		calls.Add(1)
		started <- struct{}{}
		<-cmd.Context().Done()
		return cmd.Context().Err()
	}), WithRetry(3, time.Millisecond))
	logs := &logBuffer{}
	startWithoutTimer(t, s, testEnvironment(logs, "app"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		fire(s, 0, time.Now().Truncate(time.Second))
	}()
	<-started
	state := s.state.Load()
	state.kill(s.jobs[0], order.Request{ID: "k1", Job: "long", Kind: order.Kill})
	<-done
	if got := strings.Join(outcomes(t, logs, "long"), ","); got != "killed" || calls.Load() != 1 {
		t.Fatalf("long: %s after %d attempts; want one attempt, killed", got, calls.Load())
	}
}

func TestPausedTicksAreSkippedAndRecorded(t *testing.T) {
	var calls atomic.Int32
	s := New()
	s.AddCronCommand("* * * * * *", runnable("report", func(*cobra.Command, []string) error { calls.Add(1); return nil }))
	logs := &logBuffer{}
	history := &switchableHistory{}
	env := testEnvironment(logs, "app")
	startWithoutTimer(t, s, env)
	state := s.state.Load()
	state.recorder = startRecorder(history, env.Logger, nil)
	tick := time.Now().Truncate(time.Second)
	state.applyOrders(contract.Orders{Paused: map[string]string{"report": "disk full"}})
	fire(s, 0, tick)
	state.applyOrders(contract.Orders{})
	fire(s, 0, tick.Add(time.Second))
	state.recorder.close()
	if got := strings.Join(outcomes(t, logs, "report"), ","); got != "paused,ok" || calls.Load() != 1 {
		t.Fatalf("report: %s, %d runs; want paused then ok, one run", got, calls.Load())
	}
	if reason, _ := logs.lines(t)[0]["reason"].(string); !strings.HasSuffix(reason, ": disk full") {
		t.Errorf("the paused line's reason %q does not give the pause note", reason)
	}
	if n, _ := history.written(); n != 2 {
		t.Fatalf("%d records; want the paused tick and the run", n)
	}
}
