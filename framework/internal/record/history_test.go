package record_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// fullRun returns a run of job at tick with every field set.
func fullRun(job string, tick time.Time) record.Run {
	started := tick.Add(3*time.Millisecond + 7*time.Microsecond)
	return record.Run{
		Job: job, Type: "distributed", Service: job + "-svc", Tick: tick, AppID: "0d5c6a1e-8f1b-4c57-9f0e-2b9c7d3e4a11",
		Hostname: "host-1", PID: 4242, Outcome: "error", Started: started, Finished: started.Add(20*time.Millisecond + 5*time.Microsecond),
		Late: 3*time.Millisecond + 7*time.Microsecond, Error: "exit status 1: naïve “quoted” error\nsecond line",
		Attempt: 2, Count: 1, LastTick: tick,
	}
}

func appendRuns(t *testing.T, history contract.RunHistory, runs ...record.Run) {
	t.Helper()
	var stored []contract.RunRecord
	for _, run := range runs {
		s, err := record.EncodeRun(run)
		if err != nil {
			t.Fatalf("EncodeRun(%+v): %v", run, err)
		}
		stored = append(stored, s)
	}
	if err := history.AppendRuns(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
}

// sameRun reports whether got is want, times compared by instant.
func sameRun(got, want record.Run) bool {
	for _, pair := range [][2]*time.Time{{&got.Tick, &want.Tick}, {&got.Started, &want.Started},
		{&got.Finished, &want.Finished}, {&got.LastTick, &want.LastTick}} {
		if !pair[0].Equal(*pair[1]) {
			return false
		}
		*pair[0] = *pair[1]
	}
	return got == want
}

// Every field of a run survives a backend to the µs, as Runs and LastRuns return it.
func TestRunsRoundTrip(t *testing.T) {
	history := memory.NewStore(nil).Open(backend.Retention{})
	tick := time.Now().Add(-time.Hour).Truncate(time.Second)
	full := fullRun("report", tick)
	missed := fullRun("cleanup", tick.Add(-time.Minute))
	missed.Outcome, missed.Count, missed.LastTick, missed.Error = "missed", 3, tick.Add(-time.Second), ""
	normal := fullRun("tidy", tick.Add(-2*time.Minute))
	normal.Type, normal.Service, normal.Started, normal.Finished, normal.Late = "normal", "", time.Time{}, time.Time{}, 0
	appendRuns(t, history, normal, missed, full)
	got, err := record.Runs(context.Background(), history, contract.RunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []record.Run{full, missed, normal}
	if len(got) != len(want) {
		t.Fatalf("Runs: %d runs, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !sameRun(got[i], want[i]) {
			t.Fatalf("Runs[%d] = %+v; want %+v", i, got[i], want[i])
		}
	}
	last, err := record.LastRuns(context.Background(), history, []string{"report", "cleanup", "none"})
	if err != nil || len(last) != 2 || !sameRun(last["report"], full) || !sameRun(last["cleanup"], missed) {
		t.Fatalf("LastRuns = %+v, %v; want report's and cleanup's runs", last, err)
	}
}

// An error longer than MaxRunErrorLength is stored cut to it, on a character boundary, ending with "…".
func TestEncodeRunCutsLongErrors(t *testing.T) {
	run := fullRun("a", time.Now())
	run.Error = strings.Repeat("é", record.MaxRunErrorLength) // 2 bytes each
	limit := fullRun("b", time.Now())
	limit.Error = strings.Repeat("x", record.MaxRunErrorLength)
	history := memory.NewStore(nil).Open(backend.Retention{})
	appendRuns(t, history, run, limit)
	last, err := record.LastRuns(context.Background(), history, []string{"a", "b"})
	if err != nil || len(last) != 2 {
		t.Fatalf("LastRuns = %v, %v; want both runs", last, err)
	}
	text := last["a"].Error
	if len(text) > record.MaxRunErrorLength || !strings.HasSuffix(text, "é…") || !utf8.ValidString(text) {
		t.Fatalf("an error of %d bytes is kept as %d bytes %.40q…; want at most %d, ending with \"é…\"",
			len(run.Error), len(text), text, record.MaxRunErrorLength)
	}
	if last["b"].Error != limit.Error {
		t.Fatalf("an error of exactly %d bytes was changed to %d bytes", len(limit.Error), len(last["b"].Error))
	}
}
