package engine

import (
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/internal/record"
)

// TestGapInTheFenceIsRecordedOnceAsMissed: ticks no process won are recorded once, by the process that
// wins the next tick, as one "missed" record with their count; ticks held by another process are not.
func TestGapInTheFenceIsRecordedOnceAsMissed(t *testing.T) {
	store := memory.NewStore(nil)
	histories := []*switchableHistory{{}, {}}
	logs := &logBuffer{}
	schedulers := make([]*Scheduler, 2)
	for i := range schedulers {
		s := New()
		s.AddDistributedCronCommand("svc", "* * * * * *", runnable("job", func(*cobra.Command, []string) error { return nil }), 2*time.Second)
		env := testEnvironment(logs, []string{"app-a", "app-b"}[i])
		env.Backend = store.Open(backend.Retention{})
		startWithoutTimer(t, s, env)
		s.state.Load().recorder = startRecorder(histories[i], env.Logger, nil)
		schedulers[i] = s
	}
	tick := time.Now().Truncate(time.Second)
	fire(schedulers[0], 0, tick.Add(-time.Second)) // app-a wins
	fire(schedulers[1], 0, tick.Add(-time.Second)) // held by app-a: no gap, not recorded
	fire(schedulers[1], 0, tick.Add(time.Second))  // app-b wins the tick after next: one missed
	fire(schedulers[0], 0, tick.Add(time.Second))  // held
	for _, s := range schedulers {
		s.state.Load().recorder.close()
	}
	var missed []string
	for i, h := range histories {
		for _, batch := range h.batches {
			for _, stored := range batch {
				if stored.Outcome != outcomeMissed {
					continue
				}
				missed = append(missed, []string{"app-a", "app-b"}[i])
				r, err := record.DecodeRun(stored.Body)
				if err != nil || !r.Tick.Equal(tick) || !r.LastTick.Equal(tick) || r.Count != 1 || r.AppID != "app-b" ||
					r.Job != "svc" || !stored.Tick.Equal(tick) || !stored.LastTick.Equal(tick) || stored.Job != "svc" {
					t.Errorf("missed record %+v %+v (%v); want tick %s, count 1, seen by app-b", stored, r, err, tick)
				}
			}
		}
	}
	if len(missed) != 1 {
		t.Fatalf("missed records by %v; want exactly one, by app-b", missed)
	}
}
