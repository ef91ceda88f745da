package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

func controlRequest(id string, made time.Time) contract.ControlRequest {
	return contract.ControlRequest{ID: id, Job: "report", Kind: contract.RequestRun, Made: made}
}

// TestLocalSchemaVersion1Frozen: the migration of version 1 is the schema that version-1 programs created
// (its SHA-256 is that of their databaseSchema): a released migration never changes, a new one is added.
func TestLocalSchemaVersion1Frozen(t *testing.T) {
	const released = "dfa5d72bc5d3d947f586c6131e09e0f6c4124a8a3ad757659c4b9c5aee72d32a"
	if got := fmt.Sprintf("%x", sha256.Sum256([]byte(schemaMigrations[0]))); got != released {
		t.Fatalf("the version 1 schema changed (sha256 %s, released %s): add a migration instead", got, released)
	}
}

// writeVersion1 creates the database file of folder as a version-1 program did, with one run and one
// process in it.
func writeVersion1(t *testing.T, folder string) {
	t.Helper()
	if err := os.MkdirAll(folder, 0o750); err != nil {
		t.Fatal(err)
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.Join(folder, databaseFile), RawQuery: "mode=rwc"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	tick := time.Now().Add(-time.Minute).UnixMicro()
	for _, statement := range []string{"PRAGMA journal_mode = WAL", schemaRunsAndProcesses, "PRAGMA user_version = 1",
		fmt.Sprintf(`INSERT INTO runs (%s) VALUES ('old-job', 'distributed', 'old-job', %d, 'app', 'host', 1, 'ok', %d, %d,
			0, '', 1, 1, %d)`, runColumns, tick, tick, tick, tick),
		`INSERT INTO run_counts (job, runs) VALUES ('old-job', 1)`,
		fmt.Sprintf(`INSERT INTO processes (%s, expires_us) VALUES ('old-app', 'host', 1, '/srv', 'local', 'v1', %d, %d,
			'[]', 0, %d)`, processColumns, tick, tick, time.Now().Add(time.Hour).UnixMicro()),
	} {
		if _, err := db.Exec(statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}
}

// TestLocalMigratesVersion1: a database file of schema version 1 is upgraded in place on first use: its
// runs and processes are kept, the job control works, and the file says version 2.
func TestLocalMigratesVersion1(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	writeVersion1(t, folder)
	local := openLocal(t, folder, historyRetention{})
	ctx := context.Background()
	if runs, err := local.Runs(ctx, contract.RunQuery{}); err != nil || len(runs) != 1 || runs[0].Job != "old-job" {
		t.Fatalf("Runs of an upgraded version 1 file = %+v, %v; want its one run", runs, err)
	}
	if err := local.SetPaused(ctx, "old-job", true); err != nil {
		t.Fatal(err)
	}
	orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "new-app", Hostname: "host"}, time.Minute)
	if err != nil || fmt.Sprint(orders.Paused) != "[old-job]" {
		t.Fatalf("Heartbeat on an upgraded file = %+v, %v; want old-job paused", orders, err)
	}
	processes, err := local.Processes(ctx)
	if err != nil || len(processes) != 2 || processes[0].AppID != "new-app" || processes[1].AppID != "old-app" {
		t.Fatalf("Processes = %+v, %v; want new-app and the version 1 file's old-app", processes, err)
	}
	db, err := local.database(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(schemaMigrations) || version != 2 {
		t.Fatalf("user_version after the upgrade = %d, %v; want 2", version, err)
	}
}

// TestLocalRefusesNewerSchema: a file of a schema newer than this program's is refused, with an error naming
// the file and both versions, and left as it is.
func TestLocalRefusesNewerSchema(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	writeVersion1(t, folder)
	local := openLocal(t, folder, historyRetention{})
	db, err := sql.Open("sqlite", "file:"+local.databasePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 3"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = local.Heartbeat(context.Background(), contract.ProcessRecord{AppID: "a"}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), local.databasePath()) || !strings.Contains(err.Error(), "version 3 is newer") ||
		!strings.Contains(err.Error(), "(2)") {
		t.Fatalf("Heartbeat on a version 3 file: %v; want an error naming the file, version 3 and this program's 2", err)
	}
}

// tableRows returns the rows of table in local's database.
func tableRows(t *testing.T, local *localBackend, table string) int {
	t.Helper()
	db, err := local.database(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLocalControlDeletesExpired: AddRequest deletes the requests and answers older than
// contract.ControlRequestTTL (by made, by at) and keeps the younger ones.
func TestLocalControlDeletesExpired(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	ctx := context.Background()
	now := time.Now()
	local.now = func() time.Time { return now.Add(-time.Hour) } // both are young when stored
	for _, r := range []contract.ControlRequest{controlRequest("old", now.Add(-time.Hour)), controlRequest("young", now)} {
		if err := local.AddRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := local.Answer(ctx, r.ID, contract.ControlAnswer{AppID: "a", Outcome: "ok", At: r.Made}); err != nil {
			t.Fatal(err)
		}
	}
	if requests, answers := tableRows(t, local, "requests"), tableRows(t, local, "answers"); requests != 2 || answers != 2 {
		t.Fatalf("before the next request: %d requests, %d answers; want 2 and 2", requests, answers)
	}
	local.now = func() time.Time { return now }
	if err := local.AddRequest(ctx, controlRequest("next", now)); err != nil {
		t.Fatal(err)
	}
	if requests, answers := tableRows(t, local, "requests"), tableRows(t, local, "answers"); requests != 2 || answers != 1 {
		t.Fatalf("after the next request: %d requests, %d answers; want 2 (young, next) and 1 (young's)", requests, answers)
	}
	if answers, err := local.Answers(ctx, "old"); err != nil || len(answers) != 0 {
		t.Fatalf("Answers(old) = %+v, %v; want none: deleted with its request", answers, err)
	}
}

// TestLocalControlBadInput: each invalid input is refused with an error naming it and what is valid, before
// anything is created; a cancelled context gives its error.
func TestLocalControlBadInput(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	local := openLocal(t, folder, historyRetention{})
	ctx := context.Background()
	now := time.Now()
	calls := map[string]struct {
		call func() error
		want string
	}{
		"no ID":     {func() error { return local.AddRequest(ctx, controlRequest("", now)) }, "without an ID"},
		"no job":    {func() error { return local.AddRequest(ctx, contract.ControlRequest{ID: "x", Kind: "run", Made: now}) }, "without a job"},
		"bad kind":  {func() error { r := controlRequest("x", now); r.Kind = "stop"; return local.AddRequest(ctx, r) }, `unknown kind "stop", want "run" or "kill"`},
		"no made":   {func() error { return local.AddRequest(ctx, controlRequest("x", time.Time{})) }, "ControlRequest.Made is required"},
		"pause":     {func() error { return local.SetPaused(ctx, "", true) }, "empty job name"},
		"answer":    {func() error { return local.Answer(ctx, "", contract.ControlAnswer{AppID: "a"}) }, "empty request ID"},
		"answers":   {func() error { _, err := local.Answers(ctx, ""); return err }, "empty request ID"},
		"no app id": {func() error { _, err := local.Heartbeat(ctx, contract.ProcessRecord{}, time.Minute); return err }, "without an AppID"},
		"short ttl": {func() error {
			_, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, time.Millisecond)
			return err
		}, "at least 1s"},
	}
	for name, c := range calls {
		if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", name, err, c.want)
		}
	}
	if _, err := os.Stat(folder); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("invalid calls created %s (%v)", folder, err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for name, err := range map[string]error{
		"SetPaused":  local.SetPaused(canceled, "j", true),
		"AddRequest": local.AddRequest(canceled, controlRequest("x", now)),
		"Answer":     local.Answer(canceled, "x", contract.ControlAnswer{}),
		"Answers":    func() error { _, err := local.Answers(canceled, "x"); return err }(),
	} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v; want context.Canceled", name, err)
		}
	}
}

// TestLocalControlDuplicateRequest: a second request of a stored ID is refused, naming the ID; the first
// is kept as it was.
func TestLocalControlDuplicateRequest(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	ctx := context.Background()
	first := controlRequest("r1", time.Now())
	if err := local.AddRequest(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Kind = contract.RequestKill
	if err := local.AddRequest(ctx, second); err == nil || !strings.Contains(err.Error(), `"r1" is stored already`) {
		t.Fatalf("AddRequest of a stored ID: %v; want an error naming r1", err)
	}
	orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, time.Minute)
	if err != nil || len(orders.Requests) != 1 || orders.Requests[0].Kind != contract.RequestRun {
		t.Fatalf("orders = %+v, %v; want the first request only", orders, err)
	}
}

// BenchmarkLocalHeartbeat measures one heartbeat of a process running two jobs, with orders to read: 3
// paused jobs and 2 live requests (and 20 other processes in the registry).
func BenchmarkLocalHeartbeat(b *testing.B) {
	local := openLocal(b, filepath.Join(b.TempDir(), "distributed"), historyRetention{})
	ctx := context.Background()
	now := time.Now()
	for i := range 20 {
		if _, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: fmt.Sprintf("other-%d", i)}, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	for _, job := range []string{"a", "b", "c"} {
		if err := local.SetPaused(ctx, job, true); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 2 {
		if err := local.AddRequest(ctx, controlRequest(fmt.Sprintf("r%d", i), now)); err != nil {
			b.Fatal(err)
		}
	}
	record := contract.ProcessRecord{AppID: "bench", Hostname: "host", PID: 1, BaseFolder: "/srv", Provider: "local",
		Version: "v1", Started: now, Running: []contract.RunningTick{{Job: "d", Tick: now, Since: now}, {Job: "e", Tick: now, Since: now}}}
	b.ReportAllocs()
	cpu := processCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		record.Heartbeat = time.Now()
		orders, err := local.Heartbeat(ctx, record, 10*time.Second)
		if err != nil || len(orders.Paused) != 3 || len(orders.Requests) != 2 {
			b.Fatalf("Heartbeat = %+v, %v; want 3 paused jobs and 2 requests", orders, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// TestLocalHeartbeatAfterClose: Close closes the prepared heartbeat statements with the database; a new
// client prepares them again and sees the orders stored meanwhile by another client.
func TestLocalHeartbeatAfterClose(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	operator := openLocal(t, folder, historyRetention{})
	ctx := context.Background()
	for i, paused := range []string{"[]", "[report]"} {
		local := openLocal(t, folder, historyRetention{})
		orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, time.Minute)
		if err != nil || fmt.Sprint(orders.Paused) != paused {
			t.Fatalf("heartbeat %d: %+v, %v; want paused %s", i, orders, err, paused)
		}
		if err := local.Close(); err != nil {
			t.Fatal(err)
		}
		if err := operator.SetPaused(ctx, "report", true); err != nil {
			t.Fatal(err)
		}
	}
}
