package engine

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
)

// TestCatchUpRunsTheLatestMissedTickOnceForTheCluster: the first process back claims and runs the latest
// tick within the grace; a second process starting then does not; a tick older than the grace and a
// normal entry's catch-up are never run.
func TestCatchUpRunsTheLatestMissedTickOnceForTheCluster(t *testing.T) {
	store := memory.NewStore(nil)
	var runs atomic.Int32
	logs := &logBuffer{}
	newProcess := func(app string, grace time.Duration) *Scheduler {
		s := New()
		s.AddDistributedCronCommand("report", "*/10 * * * * *", runnable("report", func(*cobra.Command, []string) error {
			runs.Add(1)
			return nil
		}), time.Second, WithCatchUp(grace))
		env := testEnvironment(logs, app)
		env.Backend = store.Open(backend.Retention{})
		startWithoutTimer(t, s, env)
		return s
	}
	tick := time.Now().Truncate(10 * time.Second)
	// as seen at now the tick is 3s old: within a 15s grace, not a 2s one (the backend checks the
	// claim's ±15s window by the real clock, at most 10s after the tick)
	now := tick.Add(3 * time.Second)
	for _, p := range []struct {
		app   string
		grace time.Duration
	}{{"late", 2 * time.Second}, {"first", 15 * time.Second}, {"second", 15 * time.Second}} {
		s := newProcess(p.app, p.grace)
		state := s.state.Load()
		s.catchUp(state, now)
		state.tasks.Wait()
	}
	if runs.Load() != 1 {
		t.Fatalf("the missed tick ran %d times; want once, by the first process back", runs.Load())
	}
	var ran []string
	for _, line := range logs.lines(t) {
		if line["outcome"] == "ok" {
			ran = append(ran, line["app_id"].(string))
			if line["catch_up"] != true || line["tick"] != tick.Format(time.RFC3339) {
				t.Errorf("the catch-up line %v; want catch_up true and the tick %s", line, tick.Format(time.RFC3339))
			}
		}
	}
	if strings.Join(ran, ",") != "first" {
		t.Fatalf("ran on %v; want first", ran)
	}
	s := New()
	s.AddCronCommand("* * * * *", runnable("tidy", func(*cobra.Command, []string) error { return nil }), WithCatchUp(time.Hour))
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "WithCatchUp needs a distributed entry") {
		t.Fatalf("WithCatchUp on a normal entry: %v; want a registration error", err)
	}
}
