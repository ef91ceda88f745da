package engine

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/internal/order"
)

func TestBackfillRunsEachTickOnceAcrossRequests(t *testing.T) {
	store := memory.NewStore(nil)
	var mu sync.Mutex
	var ran []time.Time
	processes := make([]*Scheduler, 2)
	for i := range processes {
		s := New()
		s.AddDistributedCronCommand("report", "* * * * * *", runnable("report", func(cmd *cobra.Command, _ []string) error {
			tick, _ := TickFrom(cmd.Context())
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, tick)
			return nil
		}), time.Second)
		env := testEnvironment(&logBuffer{}, []string{"a", "b"}[i])
		env.Backend = store.Open(backend.Retention{})
		startWithoutTimer(t, s, env)
		processes[i] = s
	}
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	backfill := func(s *Scheduler, from, to time.Time) (string, string) {
		request := order.New("report", order.Backfill)
		request.From, request.To = from, to
		return s.jobs[0].backfill(s.state.Load(), request)
	}
	if outcome, detail := backfill(processes[0], from, from.Add(5*time.Second)); outcome != "ok" || !strings.Contains(detail, "5 ok") {
		t.Fatalf("first backfill = %s, %q; want ok, 5 ticks run", outcome, detail)
	}
	if outcome, detail := backfill(processes[1], from.Add(3*time.Second), from.Add(8*time.Second)); outcome != "ok" ||
		!strings.Contains(detail, "3 ok, 2 skipped") {
		t.Fatalf("overlapping backfill = %s, %q; want ok, 3 run and 2 skipped as backfilled already", outcome, detail)
	}
	mu.Lock()
	defer mu.Unlock()
	want := make([]time.Time, 8)
	for n := range want {
		want[n] = from.Add(time.Duration(n) * time.Second)
	}
	if !slices.EqualFunc(ran, want, time.Time.Equal) {
		t.Fatalf("ran %v; want each of the 8 ticks once, oldest first", ran)
	}
	if _, err := order.BackfillTicks(processes[0].jobs[0].spec.Next, from, from.Add(3*time.Hour)); err == nil ||
		!strings.Contains(err.Error(), "more than 10000 ticks") {
		t.Errorf("a range of 10800 ticks: %v; want refused, naming the limit", err)
	}
}

// busyProcess starts a scheduler without its timer, with one distributed every-second entry "report"
// that runs body, on a memory backend, and returns it with that entry marked running (as while a
// scheduled run of it goes on): the caller clears the flag.
func busyProcess(t *testing.T, body func(*cobra.Command, []string) error) (*Scheduler, *job) {
	t.Helper()
	s := New()
	s.AddDistributedCronCommand("report", "* * * * * *", runnable("report", body), time.Second)
	env := testEnvironment(&logBuffer{}, "a")
	env.Backend = memory.NewStore(nil).Open(backend.Retention{})
	startWithoutTimer(t, s, env)
	j := s.jobs[0]
	j.running.Store(true)
	return s, j
}

func TestBackfillWaitsForTheEntrysRunOnThisProcess(t *testing.T) {
	ran := make(chan time.Time, 1)
	s, j := busyProcess(t, func(cmd *cobra.Command, _ []string) error {
		tick, _ := TickFrom(cmd.Context())
		ran <- tick
		return nil
	})
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	request := order.New("report", order.Backfill)
	request.From, request.To = from, from.Add(time.Second)
	type result struct{ outcome, detail string }
	done := make(chan result, 1)
	go func() {
		outcome, detail := j.backfill(s.state.Load(), request)
		done <- result{outcome, detail}
	}()
	select {
	case r := <-done:
		t.Fatalf("backfill ended while the entry's run went on: %s, %q; want it to wait for the run", r.outcome, r.detail)
	case <-time.After(300 * time.Millisecond):
	}
	j.running.Store(false) // the scheduled run ended
	if r := <-done; r.outcome != "ok" || !strings.Contains(r.detail, "1 ticks: 1 ok") {
		t.Fatalf("backfill = %s, %q; want ok, its tick run once the entry's run ended", r.outcome, r.detail)
	}
	if tick := <-ran; !tick.Equal(from) {
		t.Errorf("ran tick %s; want %s", tick, from)
	}
}
