package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

func controlRequest(id string, made time.Time) contract.ControlRequest {
	return contract.ControlRequest{ID: id, Made: made, Body: []byte(`{"j":"report","k":"run"}`)}
}

// controlAnswer is an answer of app a.
var controlAnswer = contract.ControlAnswer{AppID: "a", Body: []byte(`{"o":"ok"}`)}

// TestLocalSchemaVersion1Frozen: the migration of version 1 is the schema that version-1 programs created
// (its SHA-256 is that of their databaseSchema): a released migration never changes, a new one is added.
func TestLocalSchemaVersion1Frozen(t *testing.T) {
	const released = "dfa5d72bc5d3d947f586c6131e09e0f6c4124a8a3ad757659c4b9c5aee72d32a"
	if got := fmt.Sprintf("%x", sha256.Sum256([]byte(schemaMigrations[0]))); got != released {
		t.Fatalf("the version 1 schema changed (sha256 %s, released %s): add a migration instead", got, released)
	}
}

// writeOldVersion creates the database file of folder as a program of schema version (1 to 6) did, with
// one run and one live process in it, in the framework's first record format, and from version 2 on a
// request "old" and its answer, in the first format of the job control, and a paused job, "paused-before",
// as programs of versions 2 to 6 paused it (no note: from version 5, the column's empty default).
func writeOldVersion(t *testing.T, folder string, version int) {
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
	statements := append([]string{"PRAGMA journal_mode = WAL"}, schemaMigrations[:version]...)
	statements = append(statements, fmt.Sprintf("PRAGMA user_version = %d", version),
		fmt.Sprintf(`INSERT INTO runs (job, type, service, tick_us, app_id, hostname, pid, outcome, started_us,
			finished_us, late_ns, error, attempt, count, last_tick_us)
			VALUES ('old-job', 'distributed', 'old-job', %d, 'app', 'host', 1, 'ok', %d, %d, 0, '', 1, 1, %d)`,
			tick, tick, tick, tick),
		`INSERT INTO run_counts (job, runs) VALUES ('old-job', 1)`,
		fmt.Sprintf(`INSERT INTO processes (app_id, hostname, pid, base_folder, provider, version, started_us,
			heartbeat_us, running, lost_records, expires_us)
			VALUES ('old-app', 'host', 1, '/srv', 'local', 'v1', %d, %d, '[]', 0, %d)`,
			tick, tick, time.Now().Add(time.Hour).UnixMicro()))
	if version >= 2 {
		statements = append(statements,
			fmt.Sprintf(`INSERT INTO requests (id, job, kind, made_us) VALUES ('old', 'old-job', 'run', %d)`, tick),
			fmt.Sprintf(`INSERT INTO answers (request_id, seq, app_id, outcome, detail, at_us)
				VALUES ('old', 1, 'old-app', 'ok', '', %d)`, tick),
			fmt.Sprintf(`INSERT INTO paused (job, since_us) VALUES ('paused-before', %d) ON CONFLICT (job) DO NOTHING`, tick))
	}
	for _, statement := range statements {
		if _, err := db.Exec(statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}
}

// TestLocalMigratesOlderVersions: a database file of schema version 1 to 6 is upgraded in place on first
// use: the job control works, a job paused before stays paused, without a note, the records, requests and
// answers of the previous formats are left in their tables and not read (no error, no record), new ones
// are written and read, runs are counted and marked, and the file says version 7.
func TestLocalMigratesOlderVersions(t *testing.T) {
	for _, version := range []int{1, 2, 3, 4, 5, 6} {
		t.Run(fmt.Sprintf("version%d", version), func(t *testing.T) {
			folder := filepath.Join(t.TempDir(), "distributed")
			writeOldVersion(t, folder, version)
			local := openLocal(t, folder, historyRetention{})
			checkMigrated(t, local, version)
		})
	}
}

// checkMigrated checks what TestLocalMigratesOlderVersions says of local, whose file was of an older
// version.
func checkMigrated(t *testing.T, local *localBackend, from int) {
	t.Helper()
	ctx := context.Background()
	if runs, err := local.Runs(ctx, contract.RunQuery{}); err != nil || len(runs) != 0 {
		t.Fatalf("Runs of an upgraded file = %+v, %v; want no record (the old ones are not read)", runs, err)
	}
	if err := local.SetPaused(ctx, "old-job", true, "paused after the upgrade"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"old-job": "paused after the upgrade"}
	if from >= 2 {
		want["paused-before"] = "" // paused by the older program: still paused, without a note
	}
	orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "new-app", Body: []byte("new")}, time.Minute)
	if err != nil || !maps.Equal(orders.Paused, want) || len(orders.Requests) != 0 {
		t.Fatalf("Heartbeat on an upgraded file = %+v, %v; want paused %q and no request", orders, err, want)
	}
	if paused, err := local.Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused on an upgraded file = %q, %v; want %q", paused, err, want)
	}
	if answers, err := local.Answers(ctx, "old"); err != nil || len(answers) != 0 {
		t.Fatalf("Answers(old) on an upgraded file = %+v, %v; want none (the old ones are not read)", answers, err)
	}
	checkControlAfterUpgrade(t, local)
	processes, err := local.Processes(ctx)
	if err != nil || len(processes) != 1 || processes[0].AppID != "new-app" {
		t.Fatalf("Processes = %+v, %v; want new-app only", processes, err)
	}
	record := contract.RunRecord{Job: "old-job", Tick: time.Now(), LastTick: time.Now(), Outcome: "ok", Body: []byte("new")}
	if err := local.AppendRuns(ctx, []contract.RunRecord{record}); err != nil {
		t.Fatal(err)
	}
	if runs, err := local.Runs(ctx, contract.RunQuery{}); err != nil || len(runs) != 1 || string(runs[0].Body) != "new" {
		t.Fatalf("Runs after an append = %+v, %v; want the new record", runs, err)
	}
	if old := tableRows(t, local, "runs") + tableRows(t, local, "processes"); old != 2 {
		t.Fatalf("the old tables hold %d rows after the upgrade; want their 2, left alone", old)
	}
	if from >= 2 && tableRows(t, local, "requests")+tableRows(t, local, "answers") != 2 {
		t.Fatal("the old request and answer were changed by the upgrade; want them left alone")
	}
	checkRunCountAfterUpgrade(t, local)
	checkRunMarkAfterUpgrade(t, local)
	db, err := local.database(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(schemaMigrations) || version != 7 {
		t.Fatalf("user_version after the upgrade = %d, %v; want 7", version, err)
	}
}

// checkRunCountAfterUpgrade checks that an upgraded file counts runs from none, in service_run_counts, and
// leaves run_counts (version 1's count of rows of runs per job, with a row of "old-job") alone.
func checkRunCountAfterUpgrade(t *testing.T, local *localBackend) {
	t.Helper()
	run := contract.RunLease{Service: "old-job", Holder: "new-app", Tick: time.Now()}
	for _, limit := range []int{0, 2, 2} {
		count, counted, err := local.CountRun(context.Background(), run, limit)
		if want := min(limit, 1); err != nil || count != want || counted != (limit > 0) {
			t.Fatalf("CountRun(limit %d) on an upgraded file = %d, %t, %v; want %d, %t", limit, count, counted, err, want, limit > 0)
		}
	}
	if rows := tableRows(t, local, "run_counts"); rows != 1 {
		t.Fatalf("version 1's run_counts holds %d rows after a count; want its 1, left alone", rows)
	}
}

// checkControlAfterUpgrade checks that a request and an answer are stored and read on an upgraded file.
func checkControlAfterUpgrade(t *testing.T, local *localBackend) {
	t.Helper()
	ctx := context.Background()
	if err := local.AddRequest(ctx, controlRequest("new", time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := local.Answer(ctx, "new", controlAnswer); err != nil {
		t.Fatal(err)
	}
	orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "new-app"}, time.Minute)
	if err != nil || len(orders.Requests) != 1 || orders.Requests[0].ID != "new" {
		t.Fatalf("orders after a request = %+v, %v; want the new request only", orders, err)
	}
	if answers, err := local.Answers(ctx, "new"); err != nil || len(answers) != 1 || string(answers[0].Body) != `{"o":"ok"}` {
		t.Fatalf("Answers(new) = %+v, %v; want its answer", answers, err)
	}
}

// TestLocalMigratesAtOnce: clients that open a file of version 4 at once (as processes started together
// after an upgrade) all work: one adds the note column, the others find the file upgraded; the job paused
// before keeps its row, without a note.
func TestLocalMigratesAtOnce(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	writeOldVersion(t, folder, 4)
	clients := make([]*localBackend, 6)
	for i := range clients {
		clients[i] = openLocal(t, folder, historyRetention{})
	}
	errs := make(chan error, len(clients))
	for i, client := range clients {
		go func() {
			_, err := client.Heartbeat(context.Background(), contract.ProcessRecord{AppID: fmt.Sprint("app-", i)}, time.Minute)
			errs <- err
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatalf("a heartbeat of clients upgrading one file at once: %v", err)
		}
	}
	paused, err := clients[0].Paused(context.Background())
	if want := map[string]string{"paused-before": ""}; err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused after the upgrade = %q, %v; want %q", paused, err, want)
	}
}

// TestLocalOlderProgramOnUpgradedFile: the pause statements of a version 4 program, which name no note,
// still work on a file of version 5 or later (a process of the older program that had the file open when it was
// upgraded): its pause has no note, its second pause keeps the note of a newer one, its resume drops it.
func TestLocalOlderProgramOnUpgradedFile(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	ctx := context.Background()
	if err := local.SetPaused(ctx, "new", true, "by the newer program"); err != nil {
		t.Fatal(err)
	}
	db, err := local.database(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	const olderPause = `INSERT INTO paused (job, since_us) VALUES (?, ?) ON CONFLICT (job) DO NOTHING`
	for _, job := range []string{"old", "new"} {
		if _, err := db.Exec(olderPause, job, time.Now().UnixMicro()); err != nil {
			t.Fatalf("the older program's pause of %s: %v", job, err)
		}
	}
	want := map[string]string{"old": "", "new": "by the newer program"}
	if paused, err := local.Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused after the older program's pauses = %q, %v; want %q", paused, err, want)
	}
	if _, err := db.Exec(`DELETE FROM paused WHERE job = ?`, "new"); err != nil {
		t.Fatalf("the older program's resume: %v", err)
	}
	if err := local.SetPaused(ctx, "new", true, ""); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"old": "", "new": ""}
	if paused, err := local.Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused after the older program's resume and a pause without a note = %q, %v; want %q", paused, err, want)
	}
}

// TestLocalRefusesNewerSchema: a file of a schema newer than this program's is refused, with an error naming
// the file and both versions, and left as it is.
func TestLocalRefusesNewerSchema(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	writeOldVersion(t, folder, 1)
	local := openLocal(t, folder, historyRetention{})
	db, err := sql.Open("sqlite", "file:"+local.databasePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 8"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = local.Heartbeat(context.Background(), contract.ProcessRecord{AppID: "a"}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), local.databasePath()) || !strings.Contains(err.Error(), "version 8 is newer") ||
		!strings.Contains(err.Error(), "(7)") {
		t.Fatalf("Heartbeat on a version 8 file: %v; want an error naming the file, version 8 and this program's 7", err)
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
// contract.ControlRequestTTL (by made, by when they were stored) and keeps the younger ones.
func TestLocalControlDeletesExpired(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	ctx := context.Background()
	now := time.Now()
	calls := []struct {
		clock time.Time
		call  func() error
	}{
		{now.Add(-time.Hour), func() error { return local.AddRequest(ctx, controlRequest("old", now.Add(-time.Hour))) }},
		{now.Add(-time.Hour), func() error { return local.Answer(ctx, "old", controlAnswer) }},
		{now.Add(-time.Hour), func() error { return local.AddRequest(ctx, controlRequest("young", now)) }},
		{now, func() error { return local.Answer(ctx, "young", controlAnswer) }},
	}
	for _, c := range calls {
		local.now = func() time.Time { return c.clock }
		if err := c.call(); err != nil {
			t.Fatal(err)
		}
	}
	if requests, answers := tableRows(t, local, "request_records"), tableRows(t, local, "answer_records"); requests != 2 || answers != 2 {
		t.Fatalf("before the next request: %d requests, %d answers; want 2 and 2", requests, answers)
	}
	local.now = func() time.Time { return now }
	if err := local.AddRequest(ctx, controlRequest("next", now)); err != nil {
		t.Fatal(err)
	}
	if requests, answers := tableRows(t, local, "request_records"), tableRows(t, local, "answer_records"); requests != 2 || answers != 1 {
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
		"no ID":   {func() error { return local.AddRequest(ctx, controlRequest("", now)) }, "without an ID"},
		"no made": {func() error { return local.AddRequest(ctx, controlRequest("x", time.Time{})) }, "ControlRequest.Made is required"},
		"no body": {func() error {
			return local.AddRequest(ctx, contract.ControlRequest{ID: "x", Made: now})
		}, "ControlRequest.Body (the encoded request) is required"},
		"pause":  {func() error { return local.SetPaused(ctx, "", true, "note") }, "empty job name"},
		"answer": {func() error { return local.Answer(ctx, "", controlAnswer) }, "empty request ID"},
		"answer without app": {func() error {
			return local.Answer(ctx, "x", contract.ControlAnswer{Body: controlAnswer.Body})
		}, "ControlAnswer.AppID is required"},
		"answer without body": {func() error {
			return local.Answer(ctx, "x", contract.ControlAnswer{AppID: "a"})
		}, "ControlAnswer.Body (the encoded answer) is required"},
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
		"SetPaused":  local.SetPaused(canceled, "j", true, ""),
		"AddRequest": local.AddRequest(canceled, controlRequest("x", now)),
		"Answer":     local.Answer(canceled, "x", controlAnswer),
		"Answers":    func() error { _, err := local.Answers(canceled, "x"); return err }(),
	} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v; want context.Canceled", name, err)
		}
	}
}

// TestLocalControlDuplicateRequest: a second request of a stored ID is refused, naming the ID; the first
// is kept as it was, its body too.
func TestLocalControlDuplicateRequest(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	ctx := context.Background()
	first := controlRequest("r1", time.Now())
	if err := local.AddRequest(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Body = []byte(`{"j":"report","k":"kill"}`)
	if err := local.AddRequest(ctx, second); err == nil || !strings.Contains(err.Error(), `"r1" is stored already`) {
		t.Fatalf("AddRequest of a stored ID: %v; want an error naming r1", err)
	}
	orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, time.Minute)
	if err != nil || len(orders.Requests) != 1 || string(orders.Requests[0].Body) != string(first.Body) {
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
		if err := local.SetPaused(ctx, job, true, "paused by "+job); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 2 {
		if err := local.AddRequest(ctx, controlRequest(fmt.Sprintf("r%d", i), now)); err != nil {
			b.Fatal(err)
		}
	}
	record := contract.ProcessRecord{AppID: "bench", Body: []byte(`{"a":"bench","h":"host","p":1,"f":"/srv","b":"local",` +
		`"v":"v1","s":1700000000000000,"t":1700000000000000,"r":[{"j":"d","t":1700000000000000,"s":1700000000000000},` +
		`{"j":"e","t":1700000000000000,"s":1700000000000000}]}`)}
	b.ReportAllocs()
	cpu := processCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
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
	for i, paused := range []map[string]string{nil, {"report": "by ana"}} {
		local := openLocal(t, folder, historyRetention{})
		orders, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, time.Minute)
		if err != nil || !maps.Equal(orders.Paused, paused) {
			t.Fatalf("heartbeat %d: %+v, %v; want paused %q", i, orders, err, paused)
		}
		if err := local.Close(); err != nil {
			t.Fatal(err)
		}
		if err := operator.SetPaused(ctx, "report", true, "by ana"); err != nil {
			t.Fatal(err)
		}
	}
}
