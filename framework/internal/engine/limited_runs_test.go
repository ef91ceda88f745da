package engine

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
)

// Two processes share a limit of 3 runs: 3 ticks run, the 4th is skipped once by the process that won
// it, naming the limit, and that process claims no more; the other learns it at its next won tick.
func TestLimitedRunsStopAtTheCountAcrossProcesses(t *testing.T) {
	store := memory.NewStore(nil)
	var runs atomic.Int32
	logs := &logBuffer{}
	schedulers := sharingProcesses(t, store, logs, func(*cobra.Command, []string) error {
		runs.Add(1)
		return nil
	}, 10*time.Second, WithLimitedRuns(3), WithRetry(2, time.Millisecond))
	tick := time.Now().Truncate(time.Second).Add(-3 * time.Second) // 6 ticks within the hold window
	for n := range 6 {
		fire(schedulers[n%2], 0, tick.Add(time.Duration(n)*time.Second))
	}
	if runs.Load() != 3 {
		t.Fatalf("%d runs; want 3", runs.Load())
	}
	skipped := 0
	for _, line := range logs.lines(t) {
		if line["outcome"] == "skipped" {
			skipped++
			if !strings.Contains(line["reason"].(string), "ran its 3 runs (WithLimitedRuns)") {
				t.Errorf("the skipped line does not name the limit: %v", line)
			}
		}
	}
	if skipped != 2 {
		t.Errorf("%d skipped lines; want one per process, then no more claims", skipped)
	}
	count, _, err := store.Open(backend.Retention{}).CountRun(context.Background(), contract.RunLease{Service: "svc", Tick: tick}, 0)
	if err != nil || count != 3 {
		t.Fatalf("the backend counted %d (%v); want 3", count, err)
	}
}

func TestLimitedRunsNeedsADistributedEntryAndAPositiveCount(t *testing.T) {
	ok := runnable("ok", func(*cobra.Command, []string) error { return nil })
	s := New()
	s.AddCronCommand("* * * * * *", ok, WithLimitedRuns(3))
	s.AddDistributedCronCommand("svc", "* * * * * *", ok, time.Second, WithLimitedRuns(0))
	err := s.Err()
	if err == nil || !strings.Contains(err.Error(), "WithLimitedRuns needs a distributed entry") ||
		!strings.Contains(err.Error(), "WithLimitedRuns(0): the number of runs must be at least 1") {
		t.Fatalf("Err() = %v; want both registrations refused, each saying why", err)
	}
}
