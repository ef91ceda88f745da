package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// openLocal returns a new client of the local backend in folder, as another process would open it, closed
// when the test ends.
func openLocal(t testing.TB, folder string, retention backend.Retention) *localBackend {
	t.Helper()
	local, err := newLocal(folder, backend.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	local.retention = retention
	t.Cleanup(func() {
		if err := local.Close(); err != nil {
			t.Error(err)
		}
	})
	return local
}

// historyRecord returns a record of job at tick written by appID, its body about as long as the
// framework's.
func historyRecord(job, appID string, tick time.Time) contract.RunRecord {
	body := fmt.Appendf(nil, `{"j":%q,"t":%d,"a":%q,"h":"host","p":1,"o":"ok","d":1000}`, job, tick.UnixMicro(), appID)
	return contract.RunRecord{Job: job, Tick: tick, LastTick: tick, Outcome: "ok", Body: body}
}

// TestLocalHistoryCorruptFile: every call on a file that is not a database fails with an error naming the
// file and what is wrong, and leaves the file as it was; once the file is moved away, the same client
// works (a failed open is not remembered).
func TestLocalHistoryCorruptFile(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{})
	path := local.databasePath()
	garbage := bytes.Repeat([]byte("this is not an SQLite database\n"), 200)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	record := historyRecord("a", "app", time.Now())
	calls := map[string]func() error{
		"AppendRuns": func() error { return local.AppendRuns(ctx, []contract.RunRecord{record}) },
		"Runs":       func() error { _, err := local.Runs(ctx, contract.RunQuery{}); return err },
		"LastRuns":   func() error { _, err := local.LastRuns(ctx, []string{"a"}); return err },
		"Heartbeat": func() error {
			_, err := local.Heartbeat(ctx, contract.ProcessRecord{AppID: "app"}, time.Minute)
			return err
		},
		"SetPaused":  func() error { return local.SetPaused(ctx, "a", true, "") },
		"AddRequest": func() error { return local.AddRequest(ctx, controlRequest("r", time.Now())) },
		"Answer":     func() error { return local.Answer(ctx, "r", controlAnswer) },
		"Answers":    func() error { _, err := local.Answers(ctx, "r"); return err },
		"Processes":  func() error { _, err := local.Processes(ctx); return err },
		"Deregister": func() error { return local.Deregister(ctx, "app") },
	}
	for name, call := range calls {
		err := call()
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a database") {
			t.Errorf("%s on a corrupt database file: %v; want an error naming %s and saying it is not a database", name, err, path)
		}
	}
	if data, err := os.ReadFile(path); err != nil || !bytes.Equal(data, garbage) {
		t.Fatalf("the corrupt file was changed or removed (%v); it must be kept for a person to look at", err)
	}
	if err := os.Rename(path, path+".bad"); err != nil {
		t.Fatal(err)
	}
	if err := local.AppendRuns(ctx, []contract.RunRecord{record}); err != nil {
		t.Fatalf("AppendRuns once the corrupt file was moved away: %v; want a new database", err)
	}
}

// TestLocalHistoryReadsCreateNothing: reads of a backend whose folder does not exist return nothing and
// create neither the folder nor the file (`cron history` on a fresh checkout), nor does resuming a job; a
// write creates both.
func TestLocalHistoryReadsCreateNothing(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	local := openLocal(t, folder, historyRetention{})
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NewLocal created %s (%v); it must create nothing", folder, err)
	}
	ctx := context.Background()
	runs, err := local.Runs(ctx, contract.RunQuery{})
	if err != nil || len(runs) != 0 {
		t.Fatalf("Runs without a database = %v, %v; want none, no error", runs, err)
	}
	last, err := local.LastRuns(ctx, []string{"a"})
	if err != nil || last == nil || len(last) != 0 {
		t.Fatalf("LastRuns without a database = %v, %v; want an empty map, no error", last, err)
	}
	processes, err := local.Processes(ctx)
	if err != nil || len(processes) != 0 {
		t.Fatalf("Processes without a database = %v, %v; want none, no error", processes, err)
	}
	if err := local.Deregister(ctx, "app"); err != nil {
		t.Fatalf("Deregister without a database: %v", err)
	}
	if answers, err := local.Answers(ctx, "r"); err != nil || len(answers) != 0 {
		t.Fatalf("Answers without a database = %v, %v; want none, no error", answers, err)
	}
	if err := local.SetPaused(ctx, "a", false, ""); err != nil {
		t.Fatalf("resuming without a database: %v", err)
	}
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after reads, stat %s: %v; want it not to exist", folder, err)
	}
	if err := local.AppendRuns(ctx, []contract.RunRecord{historyRecord("a", "app", time.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(local.databasePath()); err != nil {
		t.Fatalf("after a write: %v; want the database file", err)
	}
}

// jobCounts returns the rows of each job in run_records and in run_record_counts, as "job=n" lists.
func jobCounts(t *testing.T, local *localBackend) (rows, counted string) {
	t.Helper()
	db, err := local.database(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	list := func(query string) string {
		result, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer result.Close()
		var out []string
		for result.Next() {
			var job string
			var n int
			if err := result.Scan(&job, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s=%d", job, n))
		}
		if err := result.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, " ")
	}
	return list(`SELECT job, count(*) FROM run_records GROUP BY job ORDER BY job`),
		list(`SELECT job, runs FROM run_record_counts ORDER BY job`)
}

// TestLocalHistoryTrimsDeleteAndCount: the trims delete the rows (not only hide them) and keep
// run_record_counts equal to the rows of each job.
func TestLocalHistoryTrimsDeleteAndCount(t *testing.T) {
	local := openLocal(t, filepath.Join(t.TempDir(), "distributed"), historyRetention{PerJob: 3, MaxAge: time.Hour})
	now := time.Now()
	var batch []contract.RunRecord
	for i := range 5 {
		batch = append(batch, historyRecord("a", "app", now.Add(time.Duration(i)*time.Second)))
	}
	batch = append(batch, historyRecord("b", "app", now.Add(-3*time.Hour)), historyRecord("b", "app", now.Add(-2*time.Hour)),
		historyRecord("b", "app", now))
	if err := local.AppendRuns(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if rows, counted := jobCounts(t, local); rows != "a=3 b=1" || counted != rows {
		t.Fatalf("after one batch: rows %q, counted %q; want a=3 b=1 in both", rows, counted)
	}
	later := now.Add(2 * time.Hour) // every record is now older than the retention's hour
	local.now = func() time.Time { return later }
	if err := local.AppendRuns(context.Background(), []contract.RunRecord{historyRecord("c", "app", later)}); err != nil {
		t.Fatal(err)
	}
	if rows, counted := jobCounts(t, local); rows != "c=1" || counted != rows {
		t.Fatalf("two hours later: rows %q, counted %q; want c=1 in both", rows, counted)
	}
}

// historyWriterEnv names the folder a TestLocalHistoryWriterProcess child writes to.
const historyWriterEnv = "HADE_TEST_HISTORY_WRITER"

const writerBatches, writerBatchSize = 20, 25

// TestLocalHistoryManyProcesses: processes of one host append to one database at once; nothing is lost.
func TestLocalHistoryManyProcesses(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "distributed")
	const writers = 3
	commands := make([]*exec.Cmd, writers)
	for i := range commands {
		commands[i] = exec.Command(os.Args[0], "-test.run=^TestLocalHistoryWriterProcess$", "-test.count=1")
		commands[i].Env = append(os.Environ(), historyWriterEnv+"="+folder, fmt.Sprintf("HADE_TEST_WRITER_ID=%d", i))
		if err := commands[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, command := range commands {
		if err := command.Wait(); err != nil {
			t.Errorf("writer process %d: %v", i, err)
		}
	}
	local := openLocal(t, folder, historyRetention{})
	for i := 0; i < writers; i++ {
		runs, err := local.Runs(context.Background(), contract.RunQuery{Job: fmt.Sprintf("job-%d", i)})
		if err != nil || len(runs) != writerBatches*writerBatchSize {
			t.Fatalf("writer %d: %d records, %v; want %d", i, len(runs), err, writerBatches*writerBatchSize)
		}
	}
}

// TestLocalHistoryWriterProcess is the child of TestLocalHistoryManyProcesses; it skips otherwise.
func TestLocalHistoryWriterProcess(t *testing.T) {
	folder := os.Getenv(historyWriterEnv)
	if folder == "" {
		t.Skip("run by TestLocalHistoryManyProcesses")
	}
	local := openLocal(t, folder, historyRetention{})
	id := os.Getenv("HADE_TEST_WRITER_ID")
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 0; i < writerBatches; i++ {
		batch := make([]contract.RunRecord, writerBatchSize)
		for j := range batch {
			batch[j] = historyRecord("job-"+id, "writer-"+id, base.Add(time.Duration(i*writerBatchSize+j)*time.Second))
		}
		if err := local.AppendRuns(context.Background(), batch); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
}
