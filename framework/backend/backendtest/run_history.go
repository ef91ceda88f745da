package backendtest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// testRunHistory runs the conformance suite of contract.RunHistory against the stores open makes: bodies
// stored and returned byte for byte, the order (tick, then append), queries, LastRuns, retention by count
// and by age, concurrent writers, records without a job, cancelled contexts and closed clients.
func testRunHistory(t *testing.T, open Open) {
	t.Run("Empty", func(t *testing.T) { testHistoryEmpty(t, open) })
	t.Run("RoundTripAndOrder", func(t *testing.T) { testHistoryRoundTripAndOrder(t, open) })
	t.Run("Bodies", func(t *testing.T) { testHistoryBodies(t, open) })
	t.Run("Query", func(t *testing.T) { testHistoryQuery(t, open) })
	t.Run("LastRuns", func(t *testing.T) { testHistoryLastRuns(t, open) })
	t.Run("RetentionByCount", func(t *testing.T) { testHistoryRetentionByCount(t, open) })
	t.Run("RetentionByAge", func(t *testing.T) { testHistoryRetentionByAge(t, open) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testHistoryConcurrentWriters(t, open) })
	t.Run("NoJob", func(t *testing.T) { testHistoryNoJob(t, open) })
	t.Run("CanceledContext", func(t *testing.T) { testHistoryCanceledContext(t, open) })
	t.Run("Closed", func(t *testing.T) { testHistoryClosed(t, open) })
}

// base is a recent whole second: records are made from it, so they are within any retention age.
func base() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Second).UTC() }

// record returns a record of job at tick with a body that names it and holds bytes of every kind: what a
// framework encodes is opaque to the backend.
func record(job string, tick time.Time, outcome string) contract.RunRecord {
	return contract.RunRecord{Job: job, Tick: tick, LastTick: tick, Outcome: contract.Outcome(outcome),
		Body: fmt.Appendf(nil, "{\"j\":%q,\"t\":%d,\"o\":%q} naïve\x00\xff\n", job, tick.UnixMicro(), outcome)}
}

func appendRuns(t *testing.T, history contract.RunHistory, records ...contract.RunRecord) {
	t.Helper()
	if err := history.AppendRuns(context.Background(), records); err != nil {
		t.Fatalf("AppendRuns(%d records): %v", len(records), err)
	}
}

func runs(t *testing.T, history contract.RunHistory, query contract.RunQuery) []contract.RunRecord {
	t.Helper()
	got, err := history.Runs(context.Background(), query)
	if err != nil {
		t.Fatalf("Runs(%+v): %v", query, err)
	}
	return got
}

// sameRecord reports how got differs from want ("" when equal): times by instant, to the millisecond;
// bodies byte for byte.
func sameRecord(got, want contract.RunRecord) string {
	sameTime := func(a, b time.Time) bool { return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond)) }
	switch {
	case !sameTime(got.Tick, want.Tick) || !sameTime(got.LastTick, want.LastTick):
		return fmt.Sprintf("times differ: got tick %s last %s, want %s %s", got.Tick, got.LastTick, want.Tick, want.LastTick)
	case got.Job != want.Job || got.Outcome != want.Outcome:
		return fmt.Sprintf("got job %q outcome %q, want %q %q", got.Job, got.Outcome, want.Job, want.Outcome)
	case !bytes.Equal(got.Body, want.Body):
		return fmt.Sprintf("got body %q, want %q", got.Body, want.Body)
	}
	return ""
}

func checkRecords(t *testing.T, what string, got, want []contract.RunRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d:\ngot  %v\nwant %v", what, len(got), len(want), describe(got), describe(want))
	}
	for i := range want {
		if diff := sameRecord(got[i], want[i]); diff != "" {
			t.Fatalf("%s: record %d: %s\ngot  %v\nwant %v", what, i, diff, describe(got), describe(want))
		}
	}
}

func describe(records []contract.RunRecord) []string {
	var out []string
	for _, r := range records {
		out = append(out, fmt.Sprintf("%s@%s/%s", r.Job, r.Tick.Format("15:04:05.000"), r.Outcome))
	}
	return out
}

func testHistoryEmpty(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	if got := runs(t, history, contract.RunQuery{}); len(got) != 0 {
		t.Fatalf("a fresh store has %d records, want none", len(got))
	}
	last, err := history.LastRuns(context.Background(), []string{"a", "b"})
	if err != nil || len(last) != 0 {
		t.Fatalf("LastRuns of a fresh store = %v, %v; want an empty map, no error", last, err)
	}
}

// testHistoryRoundTripAndOrder: every field survives, and the order is tick descending, then the later
// appended first, whatever order the ticks were appended in (a clock that jumped back).
func testHistoryRoundTripAndOrder(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	b := base()
	first := record("report", b, "error")
	retry := record("report", b, "error") // the same tick attempted again, appended later
	retry.Body = append(retry.Body, "attempt 2"...)
	third := record("report", b, "ok") // and again, later in the same batch
	third.Body = append(third.Body, "attempt 3"...)
	later := record("report", b.Add(time.Minute), "ok") // appended first
	missed := record("cleanup", b.Add(30*time.Second), "missed")
	missed.LastTick = b.Add(50 * time.Second)
	normal := record("tidy", b.Add(10*time.Second), "panic")
	appendRuns(t, history, later, first, missed)
	appendRuns(t, history, retry, normal, third)
	checkRecords(t, "Runs()", runs(t, history, contract.RunQuery{}),
		[]contract.RunRecord{later, missed, normal, third, retry, first})
	checkRecords(t, "Runs(report)", runs(t, history, contract.RunQuery{Job: "report"}),
		[]contract.RunRecord{later, third, retry, first})
}

// testHistoryBodies: bodies come back byte for byte: empty, every byte value, 4 KiB long; the store keeps
// copies, neither the caller's buffers nor what it returned to another caller.
func testHistoryBodies(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	b := base()
	var every []byte
	for i := 0; i < 16; i++ {
		for c := 0; c < 256; c++ {
			every = append(every, byte(c))
		}
	}
	empty, binary := record("a", b, "ok"), record("a", b.Add(time.Second), "ok")
	reused := record("a", b.Add(2*time.Second), "ok")
	empty.Body, binary.Body = nil, every
	sent := reused
	sent.Body = slices.Clone(reused.Body)
	appendRuns(t, history, empty, binary, sent)
	clear(sent.Body) // the caller reuses its buffer
	got := runs(t, history, contract.RunQuery{Job: "a"})
	checkRecords(t, "bodies", got, []contract.RunRecord{reused, binary, empty})
	for _, r := range got {
		clear(r.Body) // a reader changes what it was given
	}
	checkRecords(t, "bodies after a reader changed its copies", runs(t, history, contract.RunQuery{Job: "a"}),
		[]contract.RunRecord{reused, binary, empty})
}

func testHistoryQuery(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	b := base()
	var all []contract.RunRecord
	for i := 0; i < 6; i++ {
		for _, job := range []string{"a", "b"} {
			outcome := "ok"
			if i%3 == 0 {
				outcome = "error"
			}
			all = append(all, record(job, b.Add(time.Duration(i)*time.Minute), outcome))
		}
	}
	appendRuns(t, history, all...)
	pick := func(keep func(contract.RunRecord) bool, limit int) []contract.RunRecord {
		var out []contract.RunRecord
		for i := len(all) - 1; i >= 0; i-- { // newest first; "b" after "a" in all, so of equal ticks b's first
			if keep(all[i]) && (limit == 0 || len(out) < limit) {
				out = append(out, all[i])
			}
		}
		return out
	}
	every := func(contract.RunRecord) bool { return true }
	checkRecords(t, "every job", runs(t, history, contract.RunQuery{}), pick(every, 0))
	checkRecords(t, "job a", runs(t, history, contract.RunQuery{Job: "a"}), pick(func(r contract.RunRecord) bool { return r.Job == "a" }, 0))
	checkRecords(t, "job b, limit 2", runs(t, history, contract.RunQuery{Job: "b", Limit: 2}), pick(func(r contract.RunRecord) bool { return r.Job == "b" }, 2))
	checkRecords(t, "job a, error", runs(t, history, contract.RunQuery{Job: "a", Outcome: "error"}),
		pick(func(r contract.RunRecord) bool { return r.Job == "a" && r.Outcome == "error" }, 0))
	since := b.Add(4 * time.Minute)
	checkRecords(t, "job a since +4m", runs(t, history, contract.RunQuery{Job: "a", Since: since}),
		pick(func(r contract.RunRecord) bool { return r.Job == "a" && !r.Tick.Before(since) }, 0))
	checkRecords(t, "every job, limit 3", runs(t, history, contract.RunQuery{Limit: 3}), pick(every, 3))
	if got := runs(t, history, contract.RunQuery{Outcome: "error"}); len(got) != 4 {
		t.Fatalf("every job, outcome error: %v; want 4 records", describe(got))
	}
	if got := runs(t, history, contract.RunQuery{Job: "nope"}); len(got) != 0 {
		t.Fatalf("an unknown job has records: %v", describe(got))
	}
	spanning, ended := record("m", b.Add(time.Minute), "missed"), record("m", b.Add(2*time.Minute), "missed")
	spanning.LastTick, ended.LastTick = b.Add(5*time.Minute), b.Add(3*time.Minute)
	after := record("m", b.Add(6*time.Minute), "ok")
	appendRuns(t, history, record("m", b, "ok"), spanning, ended, after)
	checkRecords(t, "job m since +4m (a missed run by its last tick)",
		runs(t, history, contract.RunQuery{Job: "m", Since: since}), []contract.RunRecord{after, spanning})
}

func testHistoryLastRuns(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	b := base()
	appendRuns(t, history, record("a", b, "ok"), record("a", b.Add(time.Minute), "error"), record("b", b, "ok"))
	missed := record("c", b.Add(time.Minute), "missed")
	missed.LastTick = b.Add(2 * time.Minute)
	appendRuns(t, history, record("c", b, "ok"), missed)
	last, err := history.LastRuns(context.Background(), []string{"a", "b", "c", "none"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]contract.RunRecord{"a": record("a", b.Add(time.Minute), "error"), "b": record("b", b, "ok"), "c": missed}
	if len(last) != len(want) {
		t.Fatalf("LastRuns: %d jobs, want %d (a job without records is absent): %v", len(last), len(want), last)
	}
	for job, w := range want {
		if diff := sameRecord(last[job], w); diff != "" {
			t.Fatalf("LastRuns[%q]: %s", job, diff)
		}
	}
}

func testHistoryRetentionByCount(t *testing.T, open Open) {
	history := connect(t, open, backend.Retention{PerJob: 5, MaxAge: 30 * 24 * time.Hour})()
	b := base()
	var a []contract.RunRecord
	for i := 0; i < 8; i++ {
		a = append(a, record("a", b.Add(time.Duration(i)*time.Second), "ok"))
	}
	appendRuns(t, history, a[:4]...)
	appendRuns(t, history, a[4:]...)
	appendRuns(t, history, record("b", b, "ok"), record("b", b.Add(time.Second), "ok"))
	got := runs(t, history, contract.RunQuery{Job: "a"})
	checkRecords(t, "job a after 8 appends, 5 kept", got, []contract.RunRecord{a[7], a[6], a[5], a[4], a[3]})
	if got := runs(t, history, contract.RunQuery{Job: "b"}); len(got) != 2 {
		t.Fatalf("job b: %d records, want 2: the count is per job", len(got))
	}
}

func testHistoryRetentionByAge(t *testing.T, open Open) {
	history := connect(t, open, backend.Retention{PerJob: 1000, MaxAge: time.Hour})()
	now := time.Now().Truncate(time.Second).UTC()
	old := record("a", now.Add(-3*time.Hour), "ok")
	recent := record("a", now.Add(-time.Minute), "ok")
	appendRuns(t, history, old, recent)
	checkRecords(t, "older than the retention age", runs(t, history, contract.RunQuery{Job: "a"}), []contract.RunRecord{recent})
	last, err := history.LastRuns(context.Background(), []string{"a"})
	if err != nil || sameRecord(last["a"], recent) != "" {
		t.Fatalf("LastRuns after an old record: %v, %v; want the recent one", last, err)
	}
}

// testHistoryConcurrentWriters: several clients (processes) append at once; nothing is lost.
func testHistoryConcurrentWriters(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	b := base()
	const writers, batches, perBatch = 4, 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w := 0; w < writers; w++ {
		history := newClient()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < batches; i++ {
				var batch []contract.RunRecord
				for j := 0; j < perBatch; j++ {
					r := record(fmt.Sprintf("job%d", j%3), b.Add(time.Duration(i*perBatch+j)*time.Second), "ok")
					r.Body = fmt.Appendf(r.Body, "writer-%d", w)
					batch = append(batch, r)
				}
				errs <- history.AppendRuns(context.Background(), batch)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent AppendRuns failed: %v", err)
		}
	}
	got := runs(t, newClient(), contract.RunQuery{})
	if len(got) != writers*batches*perBatch {
		t.Fatalf("%d records after %d concurrent appends, want %d", len(got), writers*batches, writers*batches*perBatch)
	}
	if !slices.IsSortedFunc(got, func(x, y contract.RunRecord) int { return y.Tick.Compare(x.Tick) }) {
		t.Fatalf("records are not newest first")
	}
}

// testHistoryNoJob: a batch holding a record without a job is refused whole.
func testHistoryNoJob(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	batch := []contract.RunRecord{record("a", base(), "ok"), record("", base(), "ok")}
	if err := history.AppendRuns(context.Background(), batch); err == nil {
		t.Fatal("AppendRuns of a record without a job succeeded; want an error")
	}
	if got := runs(t, history, contract.RunQuery{}); len(got) != 0 {
		t.Fatalf("after a refused batch the store holds %v; want nothing", describe(got))
	}
}

func testHistoryCanceledContext(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := history.AppendRuns(ctx, []contract.RunRecord{record("a", base(), "ok")}); err == nil {
		t.Fatal("AppendRuns with a cancelled context succeeded; want ctx's error")
	}
	if _, err := history.Runs(ctx, contract.RunQuery{}); err == nil {
		t.Fatal("Runs with a cancelled context succeeded; want ctx's error")
	}
}

// testHistoryClosed: the history calls of a closed client fail.
func testHistoryClosed(t *testing.T, open Open) {
	history := closedClient(t, open)
	ctx := context.Background()
	if err := history.AppendRuns(ctx, []contract.RunRecord{record("a", base(), "ok")}); err == nil {
		t.Error("AppendRuns after Close: no error")
	}
	if _, err := history.Runs(ctx, contract.RunQuery{}); err == nil {
		t.Error("Runs after Close: no error")
	}
	if _, err := history.LastRuns(ctx, []string{"a"}); err == nil {
		t.Error("LastRuns after Close: no error")
	}
}
