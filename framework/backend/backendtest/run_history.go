package backendtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// TestRunHistory runs the conformance suite of contract.RunHistory against the stores open makes: round
// trips of every field, the order, queries, LastRuns, retention by count and by age, concurrent writers,
// errors cut to contract.MaxRunErrorLength, cancelled contexts and closed clients.
func TestRunHistory(t *testing.T, open Open) {
	t.Run("Empty", func(t *testing.T) { testHistoryEmpty(t, open) })
	t.Run("RoundTripAndOrder", func(t *testing.T) { testHistoryRoundTripAndOrder(t, open) })
	t.Run("Query", func(t *testing.T) { testHistoryQuery(t, open) })
	t.Run("LastRuns", func(t *testing.T) { testHistoryLastRuns(t, open) })
	t.Run("RetentionByCount", func(t *testing.T) { testHistoryRetentionByCount(t, open) })
	t.Run("RetentionByAge", func(t *testing.T) { testHistoryRetentionByAge(t, open) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testHistoryConcurrentWriters(t, open) })
	t.Run("LongError", func(t *testing.T) { testHistoryLongError(t, open) })
	t.Run("CanceledContext", func(t *testing.T) { testHistoryCanceledContext(t, open) })
	t.Run("Closed", func(t *testing.T) { testHistoryClosed(t, open) })
}

// base is a recent whole second: records are made from it, so they are within any retention age.
func base() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Second).UTC() }

// record returns a complete record of job at tick, started late by 3 ms and running 20 ms.
func record(job string, tick time.Time, outcome string) contract.RunRecord {
	started := tick.Add(3 * time.Millisecond)
	return contract.RunRecord{
		Job: job, Type: "distributed", Service: job + "-svc", Tick: tick, AppID: "app-" + job,
		Hostname: "host-1", PID: 4242, Outcome: contract.Outcome(outcome), Started: started,
		Finished: started.Add(20 * time.Millisecond), Late: 3 * time.Millisecond, Error: errorOf(outcome),
		Attempt: 1, Count: 1, LastTick: tick,
	}
}

func errorOf(outcome string) string {
	if outcome == "error" {
		return "exit status 1: naïve “quoted” error\nsecond line"
	}
	return ""
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

// sameRecord reports how got differs from want ("" when equal): times by instant, to the millisecond.
func sameRecord(got, want contract.RunRecord) string {
	sameTime := func(a, b time.Time) bool { return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond)) }
	switch {
	case !sameTime(got.Tick, want.Tick) || !sameTime(got.Started, want.Started) ||
		!sameTime(got.Finished, want.Finished) || !sameTime(got.LastTick, want.LastTick):
		return fmt.Sprintf("times differ: got tick %s started %s finished %s last %s, want %s %s %s %s",
			got.Tick, got.Started, got.Finished, got.LastTick, want.Tick, want.Started, want.Finished, want.LastTick)
	}
	got.Tick, got.Started, got.Finished, got.LastTick = want.Tick, want.Started, want.Finished, want.LastTick
	if got.Late.Truncate(time.Millisecond) == want.Late.Truncate(time.Millisecond) {
		got.Late = want.Late
	}
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
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
			t.Fatalf("%s: record %d: %s", what, i, diff)
		}
	}
}

func describe(records []contract.RunRecord) []string {
	var out []string
	for _, r := range records {
		out = append(out, fmt.Sprintf("%s@%s/%s", r.Job, r.Tick.Format("15:04:05.000"), r.Started.Format("15:04:05.000")))
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

// testHistoryRoundTripAndOrder: every field survives, and the order is tick descending then started
// descending, whatever order the records were appended in (a clock that jumped back).
func testHistoryRoundTripAndOrder(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	b := base()
	first := record("report", b, "ok")
	retry := record("report", b, "error") // the same tick handled again, started later
	retry.Started, retry.Finished, retry.Attempt = b.Add(2*time.Second), b.Add(3*time.Second), 2
	later := record("report", b.Add(time.Minute), "ok")
	later.Started = b.Add(-time.Minute) // the process's clock had jumped back
	missed := record("cleanup", b.Add(30*time.Second), "missed")
	missed.Count, missed.LastTick, missed.Error = 3, b.Add(50*time.Second), "3 ticks were run by no process"
	normal := record("tidy", b.Add(10*time.Second), "panic")
	normal.Type, normal.Service, normal.Error = "normal", "", "runtime error: index out of range"
	appendRuns(t, history, retry, missed)
	appendRuns(t, history, later, first, normal)
	checkRecords(t, "Runs()", runs(t, history, contract.RunQuery{}), []contract.RunRecord{later, missed, normal, retry, first})
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
		for i := len(all) - 1; i >= 0; i-- { // newest first; "b" after "a" in all, so equal ticks: by started (equal), any order
			if keep(all[i]) && (limit == 0 || len(out) < limit) {
				out = append(out, all[i])
			}
		}
		return out
	}
	checkRecords(t, "job a", runs(t, history, contract.RunQuery{Job: "a"}), pick(func(r contract.RunRecord) bool { return r.Job == "a" }, 0))
	checkRecords(t, "job b, limit 2", runs(t, history, contract.RunQuery{Job: "b", Limit: 2}), pick(func(r contract.RunRecord) bool { return r.Job == "b" }, 2))
	checkRecords(t, "job a, error", runs(t, history, contract.RunQuery{Job: "a", Outcome: "error"}),
		pick(func(r contract.RunRecord) bool { return r.Job == "a" && r.Outcome == "error" }, 0))
	since := b.Add(4 * time.Minute)
	checkRecords(t, "job a since +4m", runs(t, history, contract.RunQuery{Job: "a", Since: since}),
		pick(func(r contract.RunRecord) bool { return r.Job == "a" && !r.Tick.Before(since) }, 0))
	if got := runs(t, history, contract.RunQuery{Limit: 3}); len(got) != 3 || !got[0].Tick.Equal(b.Add(5*time.Minute)) || !got[2].Tick.Equal(b.Add(4*time.Minute)) {
		t.Fatalf("every job, limit 3: %v; want the 3 newest (ticks +5m, +5m, +4m)", describe(got))
	}
	if got := runs(t, history, contract.RunQuery{Outcome: "error"}); len(got) != 4 {
		t.Fatalf("every job, outcome error: %v; want 4 records", describe(got))
	}
	if got := runs(t, history, contract.RunQuery{Job: "nope"}); len(got) != 0 {
		t.Fatalf("an unknown job has records: %v", describe(got))
	}
}

func testHistoryLastRuns(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	b := base()
	appendRuns(t, history, record("a", b, "ok"), record("a", b.Add(time.Minute), "error"), record("b", b, "ok"))
	missed := record("c", b.Add(time.Minute), "missed")
	missed.Count, missed.LastTick = 2, b.Add(2*time.Minute)
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
					r.AppID = fmt.Sprintf("writer-%d", w)
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

// testHistoryLongError: an error longer than contract.MaxRunErrorLength is kept cut to it, ending with "…",
// on a character boundary.
func testHistoryLongError(t *testing.T, open Open) {
	history := connect(t, open, defaultRetention)()
	long := record("a", base(), "error")
	long.Error = strings.Repeat("é", contract.MaxRunErrorLength) // 2 bytes each
	appendRuns(t, history, long)
	got := runs(t, history, contract.RunQuery{Job: "a"})
	if len(got) != 1 {
		t.Fatalf("%d records, want 1", len(got))
	}
	text := got[0].Error
	if len(text) > contract.MaxRunErrorLength || !strings.HasSuffix(text, "…") || !utf8.ValidString(text) ||
		!strings.HasPrefix(long.Error, strings.TrimSuffix(text, "…")) {
		t.Fatalf("an error of %d bytes is kept as %d bytes %.40q…; want at most %d, a valid prefix ending with \"…\"",
			len(long.Error), len(text), text, contract.MaxRunErrorLength)
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
