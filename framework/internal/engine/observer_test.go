package engine

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/internal/observe"
	"github.com/hadeframe/hade/framework/internal/record"
)

// observed records what an Observer is told.
type observed struct {
	mu        sync.Mutex
	attempted []string // job/outcome/attempt
	settled   []string
	claims    []string // job/result
}

func (o *observed) Attempted(r record.Run) {
	o.add(&o.attempted, r.Job, string(r.Outcome), r.Attempt)
}
func (o *observed) Settled(r record.Run) {
	o.add(&o.settled, r.Job, string(r.Outcome), r.Attempt)
}
func (o *observed) Claimed(job, result string) { o.add(&o.claims, job, result, 0) }
func (o *observed) BackendChecked(error)       {}
func (o *observed) RecordsLost(int)            {}
func (o *observed) Waiting(string, int)        {}
func (o *observed) RunsLeft(string, int)       {}
func (o *observed) Paused(map[string]string)   {}

func (o *observed) add(list *[]string, job, what string, attempt int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	entry := job + "/" + what
	if attempt > 0 {
		entry += "/" + string(rune('0'+attempt))
	}
	*list = append(*list, entry)
}

// The observer hears every attempt, one settlement per tick (the last attempt), and each claim's result.
func TestObserverHearsAttemptsSettlementsAndClaims(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	failing := runnable("failing", func(*cobra.Command, []string) error { return errors.New("no") })
	s := New()
	s.AddCronCommand("* * * * * *", failing, WithRetry(2, time.Millisecond))
	s.AddDistributedCronCommand("report", "* * * * * *", runnable("report", func(*cobra.Command, []string) error { return nil }), time.Second)
	watch := &observed{}
	a, b := testEnvironment(&logBuffer{}, "a"), testEnvironment(&logBuffer{}, "b")
	a.Backend, b.Backend, a.Observer = backend, backend, watch
	startWithoutTimer(t, s, a)
	tick := time.Now().Truncate(time.Second)
	other := New()
	other.AddDistributedCronCommand("report", "* * * * * *", runnable("report", func(*cobra.Command, []string) error { return nil }), time.Second)
	startWithoutTimer(t, other, b)
	fire(other, 0, tick)
	fire(s, 0, tick)
	fire(s, 1, tick)                   // held by b
	fire(s, 1, tick.Add(-time.Second)) // closed
	fire(s, 1, tick.Add(time.Second))  // won (within the window of ±1s)
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if want := []string{"failing/error/1", "failing/error/2", "report/ok/1"}; !slices.Equal(watch.attempted, want) {
		t.Errorf("attempted %v; want %v", watch.attempted, want)
	}
	if want := []string{"failing/error/2", "report/ok/1"}; !slices.Equal(watch.settled, want) {
		t.Errorf("settled %v; want %v", watch.settled, want)
	}
	want := []string{"report/" + observe.ClaimHeld, "report/" + observe.ClaimClosed, "report/" + observe.ClaimWon}
	if !slices.Equal(watch.claims, want) {
		t.Errorf("claims %v; want %v", watch.claims, want)
	}
}

// TestClaimResultsAsDocumented checks that the claim results Observer.Claimed documents are the ones the
// scheduler passes.
func TestClaimResultsAsDocumented(t *testing.T) {
	got := []string{observe.ClaimWon, observe.ClaimHeld, observe.ClaimClosed, observe.ClaimConflict, observe.ClaimError, observe.ClaimCanceled}
	if want := []string{"won", "held", "closed", "conflict", "error", "canceled"}; !slices.Equal(got, want) {
		t.Fatalf("claim results %q, want %q as Observer.Claimed documents them", got, want)
	}
}
