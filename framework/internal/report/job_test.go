package report

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/record"
)

// testSpecs are a normal entry and a distributed one that never fires again.
func testSpecs() []engine.Entry {
	return []engine.Entry{
		{Name: "a", Type: "normal", Spec: "0 0 1 1 *", Zone: "UTC", Command: "app a",
			Next: func(time.Time) time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{Name: "b", Type: "distributed", Spec: "@every 1s", Zone: "UTC", Command: "app b", ServiceName: "svc",
			HoldTime: 2 * time.Second, Definition: "spec x", Overlap: "forbid", Jitter: 500 * time.Millisecond,
			StartAt: tick.Add(-time.Hour), EndAt: tick, Exclude: []string{"0 0 25 12 *"},
			Next: func(time.Time) time.Time { return time.Time{} }},
	}
}

func TestJobTableAndJobs(t *testing.T) {
	states := JobStates{Last: map[string]record.Run{"b": testRuns()[2]}, Paused: map[string]string{"a": "disk full"}}
	table := JobTable(testSpecs(), states, tick)
	want := [][]string{
		{"a", "normal", "0 0 1 1 *", "UTC", "app a", "-", "-", "-", "2027-01-01T00:00:00Z", "paused: disk full", "-", "-",
			"-", "-"},
		{"b", "distributed", "@every 1s", "UTC", "app b", "svc", "2s", `overlap forbid, jitter 500ms, from ` +
			rfc3339(tick.Add(-time.Hour)) + `, until ` + rfc3339(tick) + `, excluding "0 0 25 12 *"`,
			"never (ended at " + tick.UTC().Format(time.RFC3339) + " (WithEndAt))", "-", "2026-12-03T21:03:00Z",
			"missed", "h1/10 (fedcba98)", "0.0ms"},
	}
	if len(table.Header) != 14 || len(table.Rows) != 2 {
		t.Fatalf("table %q", table)
	}
	for i, row := range want {
		if !slices.Equal(table.Rows[i], row) {
			t.Errorf("row %d:\n got %q\nwant %q", i, table.Rows[i], row)
		}
	}
	jobs := Jobs(testSpecs(), states, tick)
	data, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []map[string]any
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if a, b := decoded[0], decoded[1]; a["paused"] != true || a["pause_note"] != "disk full" || a["last_run"] != nil || a["service"] != nil ||
		b["hold_ms"] != 2000.0 || b["next_run"] != "never" || b["definition"] != "spec x" || b["last_run"] == nil ||
		b["overlap"] != "forbid" || b["jitter_ms"] != 500.0 || b["end_at"] != rfc3339(tick) ||
		b["over"] == nil || a["over"] != nil || a["overlap"] != nil || a["exclude"] != nil {
		t.Errorf("jobs in JSON: %s", data)
	}
	if none := Jobs(nil, JobStates{}, tick); none == nil {
		t.Error("Jobs(nil) is nil, want an empty slice (JSON [])")
	}
}

func TestReadJobStates(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	ctx := context.Background()
	run := testRuns()[0]
	run.Tick, run.LastTick = time.Now().Truncate(time.Second), time.Now().Truncate(time.Second)
	encoded, err := record.EncodeRun(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := backend.AppendRuns(ctx, []contract.RunRecord{encoded}); err != nil {
		t.Fatal(err)
	}
	if err := backend.SetPaused(ctx, "b", true, "by hand"); err != nil {
		t.Fatal(err)
	}
	states, err := ReadJobStates(ctx, backend, backend, []string{"a", "b"})
	if err != nil || !paused(states, "b") || states.Paused["b"] != "by hand" || paused(states, "a") || len(states.Last) != 1 ||
		states.Last["a"].Hostname != "h1" {
		t.Fatalf("ReadJobStates = %+v, %v", states, err)
	}
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}
	if states, err := ReadJobStates(ctx, backend, backend, []string{"a"}); err == nil || states.Paused == nil {
		t.Fatalf("ReadJobStates of a closed backend = %+v, %v; want an error and no pause", states, err)
	}
}

// paused reports whether states has job paused.
func paused(states JobStates, job string) bool {
	_, ok := states.Paused[job]
	return ok
}
