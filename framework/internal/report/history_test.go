package report

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/internal/record"
)

// tick is the tick of the runs of these tests.
var tick = time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)

// testRuns are an ok run, a failed one with a long error on several lines, and four missed ticks.
func testRuns() []record.Run {
	return []record.Run{
		{Job: "a", Type: "normal", Tick: tick, AppID: "0123456789abcdef", Hostname: "h1", PID: 10, Outcome: "ok",
			Started: tick.Add(2 * time.Millisecond), Finished: tick.Add(1500 * time.Millisecond),
			Late: 2 * time.Millisecond, Attempt: 1, Count: 1, LastTick: tick},
		{Job: "a", Type: "normal", Tick: tick, AppID: "short", Hostname: "h2", PID: 11, Outcome: "error",
			Started: tick, Finished: tick.Add(300 * time.Microsecond), Attempt: 2, Count: 1, LastTick: tick,
			Error: "line one\n  line two\t" + strings.Repeat("é", 100)},
		{Job: "b", Type: "distributed", Service: "b", Tick: tick, AppID: "fedcba9876543210", Hostname: "h1",
			PID: 10, Outcome: "missed", Started: tick.Add(10 * time.Minute), Finished: tick.Add(10 * time.Minute),
			Late: 10 * time.Minute, Attempt: 1, Count: 4, LastTick: tick.Add(3 * time.Minute)},
	}
}

func TestHistoryTableShowsOneRowPerRecord(t *testing.T) {
	table := HistoryTable(testRuns())
	if len(table.Rows) != 3 || len(table.Header) != 9 || table.Header[0] != "TICK" {
		t.Fatalf("table %q", table)
	}
	local := func(t time.Time) string { return t.Local().Format(time.RFC3339) }
	want := [][]string{
		{local(tick), "a", "ok", "h1", "10", "01234567", "1.498s", "2.0ms", ""},
		{local(tick), "a", "error", "h2", "11", "short", "0.3ms", "0.0ms",
			"line one line two " + strings.Repeat("é", 61) + "…"},
		{local(tick) + " (+3 to " + local(tick.Add(3*time.Minute)) + ")", "b", "missed", "h1", "10", "fedcba98",
			"0.0ms", "10m0s", ""},
	}
	for i, row := range want {
		if !slices.Equal(table.Rows[i], row) {
			t.Errorf("row %d:\n got %q\nwant %q", i, table.Rows[i], row)
		}
	}
	if empty := HistoryTable(nil); len(empty.Rows) != 0 || len(empty.Header) != 9 {
		t.Errorf("no record: %q", empty)
	}
}

func TestRunsInJSON(t *testing.T) {
	if runs := Runs(nil); runs == nil || len(runs) != 0 {
		t.Fatalf("Runs(nil) = %#v, want an empty slice (JSON [])", runs)
	}
	data, err := json.Marshal(Runs(testRuns()))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"job":"a","type":"normal","tick":"2026-12-03T21:00:00Z","count":1,"app_id":"0123456789abcdef",` +
		`"hostname":"h1","pid":10,"outcome":"ok","started":"2026-12-03T21:00:00.002Z",` +
		`"finished":"2026-12-03T21:00:01.5Z","duration_ms":1498,"late_ms":2,"attempt":1},` +
		`{"job":"a","type":"normal","tick":"2026-12-03T21:00:00Z","count":1,"app_id":"short","hostname":"h2",` +
		`"pid":11,"outcome":"error","started":"2026-12-03T21:00:00Z","finished":"2026-12-03T21:00:00.0003Z",` +
		`"duration_ms":0.3,"late_ms":0,"error":"line one\n  line two\t` + strings.Repeat("é", 100) + `",` +
		`"attempt":2},{"job":"b","type":"distributed","service":"b","tick":"2026-12-03T21:00:00Z",` +
		`"last_tick":"2026-12-03T21:03:00Z","count":4,"app_id":"fedcba9876543210","hostname":"h1","pid":10,` +
		`"outcome":"missed","started":"2026-12-03T21:10:00Z","finished":"2026-12-03T21:10:00Z",` +
		`"duration_ms":0,"late_ms":600000,"attempt":1}]`
	if string(data) != want {
		t.Errorf("JSON\n got %s\nwant %s", data, want)
	}
}
