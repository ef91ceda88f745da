package engine

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend/memory"
)

func TestTickOptionRegistrationErrors(t *testing.T) {
	ok := runnable("ok", func(*cobra.Command, []string) error { return nil })
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New()
	s.AddCronCommand("*/10 * * * * *", ok, WithName("zero"), WithJitter(0))
	s.AddCronCommand("*/10 * * * * *", ok, WithName("long"), WithJitter(11*time.Second))
	s.AddCronCommand("*/10 * * * * *", ok, WithName("fits"), WithJitter(10*time.Second))
	s.AddDistributedCronCommand("svc", "0 * * * *", ok, 2*time.Second, WithStartAt(start), WithEndAt(start))
	s.AddCronCommand("* * * * *", ok, WithName("nostart"), WithStartAt(time.Time{}))
	s.AddCronCommand("* * * * *", ok, WithName("badexclude"), WithExclude("0 0 32 12 *"))
	s.AddCronCommand("* * * * *", ok, WithName("noexclude"), WithExclude())
	s.AddDistributedCronCommand("policy", "* * * * *", ok, time.Second, WithOverlap(OverlapPolicy(42)))
	err := s.Err()
	if len(s.Entries()) != 1 || err == nil {
		t.Fatalf("%d entries registered, error %v; want 1 (fits) and the others refused", len(s.Entries()), err)
	}
	for _, want := range []string{
		"WithJitter(0s): the jitter must be positive",
		"WithJitter(11s) is longer than the spec's interval of 10s",
		"WithEndAt(2027-01-01T00:00:00Z) is not after WithStartAt(2027-01-01T00:00:00Z)",
		"WithStartAt(the zero time)",
		`WithExclude: invalid spec "0 0 32 12 *"`,
		"WithExclude(): name at least one spec",
		"WithOverlap(42): unknown policy, want one of scheduler.OverlapForbid",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() does not say %q:\n%v", want, err)
		}
	}
}

func TestJitterIsTheSameOnEveryProcessAndWithinItsMax(t *testing.T) {
	tick := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[time.Duration]bool{}
	for i := range 1000 {
		at := tick.Add(time.Duration(i) * time.Second)
		jitter := jitterOf("report", at, 10*time.Second)
		if jitter < 0 || jitter >= 10*time.Second || jitter != jitterOf("report", at.In(time.Local), 10*time.Second) {
			t.Fatalf("jitter of %s = %s: want one value in [0, 10s) whatever the tick's location", at, jitter)
		}
		seen[jitter.Truncate(time.Second)] = true
	}
	if len(seen) != 10 {
		t.Errorf("1000 ticks' jitters fall in %d of the 10 seconds of [0, 10s), want all of them", len(seen))
	}
	if jitterOf("report", tick, 10*time.Second) == jitterOf("billing", tick, 10*time.Second) &&
		jitterOf("report", tick.Add(time.Second), 10*time.Second) == jitterOf("billing", tick.Add(time.Second), 10*time.Second) {
		t.Error("two jobs get the same jitter at two ticks: the job name is not part of it")
	}
}

// A distributed tick with jitter is claimed and run once; its run starts at tick+jitter, and its line
// gives the jitter apart from the lateness.
func TestJitterDelaysTheRunNotTheClaim(t *testing.T) {
	store := memory.NewStore(nil)
	var runs atomic.Int32
	var startedAt atomic.Int64
	logs := &logBuffer{}
	const max = 400 * time.Millisecond
	schedulers := sharingProcesses(t, store, logs, func(*cobra.Command, []string) error {
		runs.Add(1)
		startedAt.Store(time.Now().UnixNano())
		return nil
	}, 2*time.Second, WithJitter(max))
	tick := time.Now().Truncate(time.Second).Add(time.Second)
	for jitterOf("svc", tick, max) < 100*time.Millisecond { // a jitter long enough to see
		tick = tick.Add(time.Second)
	}
	time.Sleep(time.Until(tick))
	done := make(chan struct{})
	go func() { fire(schedulers[1], 0, tick); close(done) }()
	fire(schedulers[0], 0, tick)
	<-done
	jitter := jitterOf("svc", tick, max)
	if runs.Load() != 1 || time.Unix(0, startedAt.Load()).Before(tick.Add(jitter)) {
		t.Fatalf("runs %d, started %s after the tick; want 1 run, at least %s after it", runs.Load(),
			time.Unix(0, startedAt.Load()).Sub(tick), jitter)
	}
	for _, line := range logs.lines(t) {
		if line["outcome"] != "ok" {
			continue
		}
		if line["jitter_ms"] != milliseconds(jitter) || line["late_ms"].(float64) >= milliseconds(jitter) {
			t.Errorf("line %v: want jitter_ms %v and late_ms counted from tick+jitter", line, milliseconds(jitter))
		}
	}
}

// An excluded tick is claimed by one process, recorded once as excluded and not run; other ticks run.
func TestExcludedTickIsRecordedOnceAndNotRun(t *testing.T) {
	store := memory.NewStore(nil)
	var runs atomic.Int32
	logs := &logBuffer{}
	schedulers := sharingProcesses(t, store, logs, func(*cobra.Command, []string) error {
		runs.Add(1)
		return nil
	}, 2*time.Second, WithExclude("*/2 * * * * *"))
	even := time.Now().Truncate(2 * time.Second)
	for _, tick := range []time.Time{even, even.Add(time.Second)} {
		for _, s := range schedulers {
			fire(s, 0, tick)
		}
	}
	got := map[string]int{}
	for _, line := range logs.lines(t) {
		got[line["outcome"].(string)]++
		if line["outcome"] == "excluded" && !strings.Contains(line["reason"].(string), `"*/2 * * * * *"`) {
			t.Errorf("the excluded line does not name the spec: %v", line)
		}
	}
	if runs.Load() != 1 || got["excluded"] != 1 || got["ok"] != 1 || got["not_selected"] != 2 {
		t.Fatalf("runs %d, outcomes %v; want the odd tick run once, the even one excluded once", runs.Load(), got)
	}
	if definition := schedulers[0].Entries()[0].Definition; !strings.Contains(definition, `excluding "*/2 * * * * *" hold 2s`) {
		t.Errorf("definition %q does not name the exclusion", definition)
	}
}

// An entry whose end has passed stays registered and has no next tick; one with a start has none before it.
func TestStartAndEndBoundTheTicks(t *testing.T) {
	ok := runnable("ok", func(*cobra.Command, []string) error { return nil })
	now := time.Now()
	s := New()
	s.AddCronCommand("* * * * * *", ok, WithName("over"), WithEndAt(now.Add(-time.Minute)))
	s.AddCronCommand("* * * * * *", ok, WithName("later"), WithStartAt(now.Add(time.Hour)))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	entries := s.Entries()
	if next := entries[0].Next(now); !next.IsZero() {
		t.Errorf("the ended entry's next tick is %s, want none", next)
	}
	if next := entries[1].Next(now); next.Before(now.Add(time.Hour)) {
		t.Errorf("the later entry's next tick is %s, want none before its start", next)
	}
}
