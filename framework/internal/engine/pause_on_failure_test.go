package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// A tick that fails after its retries pauses the job for every process, with a note naming the tick and
// the error; the process's next tick is paused at once and its line gives the note.
func TestPauseOnFailurePausesTheJobWithANote(t *testing.T) {
	store := memory.NewStore(nil)
	var runs atomic.Int32
	s := New()
	s.AddDistributedCronCommand("billing", "* * * * * *", runnable("billing", func(*cobra.Command, []string) error {
		runs.Add(1)
		return errors.New("card processor unreachable")
	}), 2*time.Second, WithRetry(2, time.Millisecond), WithPauseOnFailure())
	logs := &logBuffer{}
	env := testEnvironment(logs, "app")
	env.Backend = store.Open(backend.Retention{})
	env.Process = record.Process{Hostname: "web-1", PID: 4242}
	var settled []record.Run
	env.Observer = settledRecorder(func(run record.Run) { settled = append(settled, run) })
	startWithoutTimer(t, s, env)
	s.state.Load().applyOrders(contract.Orders{}) // as the first heartbeat does: nothing is paused
	tick := time.Now().Truncate(time.Second)
	fire(s, 0, tick)
	fire(s, 0, tick.Add(time.Second))
	if runs.Load() != 2 {
		t.Fatalf("%d runs; want the failed tick's 2 attempts, then none", runs.Load())
	}
	paused, err := store.Open(backend.Retention{}).Paused(context.Background())
	note := paused["billing"]
	want := "paused on failure: tick " + tick.UTC().Format(time.RFC3339) + " failed (error) on web-1/4242: card processor unreachable"
	if err != nil || note != want {
		t.Fatalf("paused jobs %v, %v; want billing with the note %q", paused, err, want)
	}
	if got := strings.Join(outcomes(t, logs, "billing"), ","); got != "error,error,paused" {
		t.Errorf("billing: %s; want two failed attempts, then the next tick paused", got)
	}
	if len(settled) == 0 || settled[0].PauseNote != want {
		t.Errorf("the failed tick's settled record does not carry the pause note: %+v", settled)
	}
	for _, line := range logs.lines(t) {
		if line["outcome"] == "paused" && !strings.HasSuffix(line["reason"].(string), want) {
			t.Errorf("the paused line does not give the note: %v", line)
		}
	}
}

// Without the option, a failure pauses nothing.
func TestFailureWithoutPauseOnFailurePausesNothing(t *testing.T) {
	store := memory.NewStore(nil)
	s := New()
	s.AddDistributedCronCommand("report", "* * * * * *", runnable("report", func(*cobra.Command, []string) error {
		return errors.New("failed")
	}), 2*time.Second)
	env := testEnvironment(&logBuffer{}, "app")
	env.Backend = store.Open(backend.Retention{})
	startWithoutTimer(t, s, env)
	fire(s, 0, time.Now().Truncate(time.Second))
	if paused, err := env.Backend.Paused(context.Background()); err != nil || len(paused) != 0 {
		t.Fatalf("paused %v, %v; want none", paused, err)
	}
}

// settledRecorder is an Observer that passes each settled record to settled and ignores the rest.
type settledRecorder func(record.Run)

func (f settledRecorder) Attempted(record.Run)     {}
func (f settledRecorder) Settled(run record.Run)   { f(run) }
func (f settledRecorder) Claimed(string, string)   {}
func (f settledRecorder) BackendChecked(error)     {}
func (f settledRecorder) RecordsLost(int)          {}
func (f settledRecorder) Waiting(string, int)      {}
func (f settledRecorder) RunsLeft(string, int)     {}
func (f settledRecorder) Paused(map[string]string) {}
