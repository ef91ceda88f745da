package cronprocess

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/internal/cronhttp"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/record"
)

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the log lines of b with message msg, decoded.
func (b *lockedBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if fields["msg"] == msg {
			found = append(found, fields)
		}
	}
	return found
}

// waitLine waits up to 10s for a log line with message msg and returns the first.
func (b *lockedBuffer) waitLine(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(b.String(), `"msg":"`+msg+`"`) {
			return b.lines(t, msg)[0]
		}
	}
	t.Fatalf("no log line %q within 10s; the log:\n%s", msg, b)
	return nil
}

// newScheduler returns a scheduler with one job, "noop", every second, or none without jobs.
func newScheduler(jobs bool) *engine.Scheduler {
	cron := engine.New()
	if jobs {
		noop := &cobra.Command{Use: "noop", RunE: func(*cobra.Command, []string) error { return nil }}
		cron.AddCronCommand("* * * * * *", noop)
	}
	return cron
}

// testConfig returns the Config of a foreground process logging to the returned buffer, with its pidfiles
// in a temporary folder, a memory backend and a server on a free loopback port.
func testConfig(t *testing.T, cron *engine.Scheduler) (Config, *lockedBuffer) {
	t.Helper()
	t.Setenv("NOTIFY_SOCKET", "")
	log := &lockedBuffer{}
	folder := pidfile.Folder{Path: t.TempDir(), Prefix: "cron"}
	c := Config{Scheduler: cron, Backend: memory.NewStore(nil).Open(backend.Retention{}), AppID: "app-1",
		BaseFolder: "/srv/app", Provider: "memory", Mode: pidfile.ModeForeground, Settings: "provider memory",
		Logger: NewLogger(log, slog.LevelDebug), DrainTimeout: time.Second, Pidfiles: folder,
		HTTP: &HTTP{Address: cronhttp.Address{Bind: "127.0.0.1:0", Loopback: true}}}
	c.Pidfile = func() (*pidfile.Pidfile, error) {
		return folder.Acquire(pidfile.Record{PID: os.Getpid(), AppID: c.AppID, Mode: c.Mode, StartedAt: time.Now()},
			pidfile.AcquireOptions{})
	}
	t.Cleanup(func() { _ = c.Backend.Close() })
	return c, log
}

// get returns the status and the body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	response, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(response.Body)
	if closeErr := response.Body.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, string(body)
}

// Serve binds the server, takes the pidfile, registers the process and runs until its context ends;
// then it logs the stop and its reason, releases the pidfile and stops the server.
func TestServeRunsUntilItsContextEnds(t *testing.T) {
	c, log := testConfig(t, newScheduler(true))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, c) }()

	started := log.waitLine(t, "cron started")
	if started["mode"] != pidfile.ModeForeground || started["app_id"] != "app-1" || started["entries"] != 1.0 ||
		started["settings"] != "provider memory" || !strings.HasPrefix(started["pidfile"].(string), c.Pidfiles.Path) {
		t.Fatalf("cron started line: %v", started)
	}
	base := "http://" + log.lines(t, "cron http listening")[0]["address"].(string)
	if status, body := get(t, base+"/"); status != http.StatusOK || !strings.Contains(body, `data-job="noop"`) {
		t.Fatalf("GET / = %d:\n%s", status, body)
	}
	if status, body := get(t, base+"/metrics"); status != http.StatusOK || !strings.Contains(body, "hade_") {
		t.Fatalf("GET /metrics = %d:\n%s", status, body)
	}
	waitReady(t, base)
	processes, err := record.Processes(ctx, c.Backend)
	if err != nil || len(processes) != 1 || processes[0].BaseFolder != "/srv/app" ||
		processes[0].Provider != "memory" || processes[0].PID != os.Getpid() {
		t.Fatalf("registered processes: %+v, %v", processes, err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve returned %v after its context ended, want nil", err)
	}
	stopped := log.lines(t, "cron stopped")
	if len(stopped) != 1 || stopped[0]["reason"] != "context canceled" {
		t.Fatalf("cron stopped lines: %v", stopped)
	}
	if entries, err := c.Pidfiles.List(); err != nil || len(entries) != 0 {
		t.Fatalf("pidfiles after the stop: %+v, %v", entries, err)
	}
	if answers(base + "/healthz") {
		t.Fatal("the server still answers after Serve returned")
	}
}

// answers reports whether a server answers GET url.
func answers(url string) bool {
	response, err := http.Get(url)
	if err != nil {
		return false
	}
	_ = response.Body.Close() // the answer is what matters, not its body
	return true
}

// waitReady waits up to 10s for /readyz to answer 200: the scheduler started and a heartbeat reached the
// backend.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if status, _ := get(t, base+"/readyz"); status == http.StatusOK {
			return
		}
	}
	t.Fatal("/readyz did not answer 200 within 10s")
}

// A step that fails ends Serve with its error, the steps before it undone: the pidfile released, the
// server stopped.
func TestServeUndoesItsStepsWhenOneFails(t *testing.T) {
	c, log := testConfig(t, newScheduler(false)) // no entry: the scheduler refuses to start
	err := Serve(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "no cron entries") {
		t.Fatalf("Serve without entries: %v", err)
	}
	if entries, err := c.Pidfiles.List(); err != nil || len(entries) != 0 {
		t.Fatalf("pidfiles after the failure: %+v, %v", entries, err)
	}
	address := log.lines(t, "cron http listening")[0]["address"].(string)
	if answers("http://" + address + "/healthz") {
		t.Fatal("the server still answers after Serve failed")
	}

	c, _ = testConfig(t, newScheduler(true))
	c.Pidfile = func() (*pidfile.Pidfile, error) { return nil, errors.New("pidfile refused") }
	if err := Serve(context.Background(), c); err == nil || err.Error() != "pidfile refused" {
		t.Fatalf("Serve with a refused pidfile: %v", err)
	}

	c, _ = testConfig(t, newScheduler(true))
	c.HTTP.Token = "short"
	if err := Serve(context.Background(), c); err == nil || !strings.Contains(err.Error(), "--http-token") {
		t.Fatalf("Serve with a short token: %v, want an error naming --http-token", err)
	}
}
