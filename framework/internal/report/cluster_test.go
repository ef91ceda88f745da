package report

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/internal/record"
)

// testProcesses are a process of another host with two runs in progress, and one of this host and of
// the base folder "/base" with one run, started between the other two.
func testProcesses(t *testing.T) []record.Process {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Skipf("no host name: %v", err)
	}
	return []record.Process{
		{AppID: "bbbbbbbb-2222", Hostname: "other", PID: 7, BaseFolder: "/srv", Version: "v2",
			Started: tick.Add(-time.Hour), Heartbeat: tick.Add(-1200 * time.Millisecond), LostRecords: 3,
			Running: []record.RunningTick{{Job: "b", Tick: tick, Since: tick.Add(-time.Second)},
				{Job: "a", Tick: tick, Since: tick.Add(-3 * time.Second)}}},
		{AppID: "aaaaaaaa-1111", Hostname: host, PID: 42, BaseFolder: "/base", Version: "v1", Started: tick,
			Heartbeat: tick.Add(-30 * time.Millisecond),
			Running:   []record.RunningTick{{Job: "a", Tick: tick, Since: tick.Add(-2 * time.Second)}}},
	}
}

func TestClusterTableMarksThisBaseFolder(t *testing.T) {
	processes := testProcesses(t)
	table := ClusterTable(processes, "/base", tick)
	local := tick.Local().Format(time.RFC3339)
	want := [][]string{
		{"", "other", "7", "bbbbbbbb", "/srv", "v2", tick.Add(-time.Hour).Local().Format(time.RFC3339), "1.2s ago",
			"2", "3"},
		{"*", processes[1].Hostname, "42", "aaaaaaaa", "/base", "v1", local, "0s ago", "1", "0"},
	}
	if len(table.Header) != 10 || len(table.Rows) != 2 {
		t.Fatalf("table %q", table)
	}
	for i, row := range want {
		if !slices.Equal(table.Rows[i], row) {
			t.Errorf("row %d:\n got %q\nwant %q", i, table.Rows[i], row)
		}
	}
	if ClusterTable(processes, "/elsewhere", tick).Rows[1][0] != "" {
		t.Error("a process of another base folder is marked")
	}
}

func TestRunningTableIsOldestFirst(t *testing.T) {
	table := RunningTable(testProcesses(t), tick)
	var got []string
	for _, row := range table.Rows {
		got = append(got, row[0]+"@"+row[3]+" "+row[4][strings.Index(row[4], "("):])
	}
	if want := []string{"a@7 (3s)", "a@42 (2s)", "b@7 (1s)"}; !slices.Equal(got, want) {
		t.Errorf("runs in progress %q, want %q", got, want)
	}
	if none := RunningTable(nil, tick); len(none.Rows) != 0 || len(none.Header) != 5 {
		t.Errorf("no process: %q", none)
	}
}

func TestProcessesInJSON(t *testing.T) {
	processes := testProcesses(t)
	processes[1].Running = nil
	data, err := json.Marshal(Processes(processes, "/base"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"app_id":"aaaaaaaa-1111","hostname":"` + processes[1].Hostname + `","pid":42,` +
		`"base_folder":"/base",` +
		`"this_base_folder":true,"provider":"","version":"v1","started":"2026-12-03T21:00:00Z",` +
		`"heartbeat":"2026-12-03T20:59:59.97Z","running":[],"records_lost":0}]`
	if !strings.HasSuffix(string(data), want) || !strings.Contains(string(data), `"this_base_folder":false`) ||
		!strings.Contains(string(data), `"running":[{"job":"b","tick":"2026-12-03T21:00:00Z",`+
			`"since":"2026-12-03T20:59:59Z"},`) {
		t.Errorf("JSON %s", data)
	}
	if none := Processes(nil, "/base"); none == nil {
		t.Error("Processes(nil) is nil, want an empty slice (JSON [])")
	}
}
