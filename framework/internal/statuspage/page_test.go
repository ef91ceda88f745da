package statuspage

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// Everything read from the backend is escaped: run errors, host names, versions; a ?job= that names no
// job is not reflected.
func TestPageEscapes(t *testing.T) {
	h, backend, _ := testPage(t, "")
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	evil := `<script>alert("x")</script>`
	run, err := record.EncodeRun(record.Run{Job: "report", Type: "distributed", Service: "report", Tick: now,
		LastTick: now, AppID: "app-2", Hostname: "<b>host</b>", PID: 7, Outcome: "error", Started: now,
		Finished: now.Add(time.Second), Error: evil, Attempt: 1, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := backend.AppendRuns(ctx, []contract.RunRecord{run}); err != nil {
		t.Fatal(err)
	}
	process, err := record.EncodeProcess(record.Process{AppID: "app-2", Hostname: `<img src=x onerror="alert(1)">`,
		PID: 7, Version: evil, Provider: "local", Started: now,
		Running: []record.RunningTick{{Job: "report", Tick: now, Since: now}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Heartbeat(ctx, process, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	w := do(h, http.MethodGet, "/?job=%3Cscript%3Ex", nil, nil)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d %s", w.Code, body)
	}
	for _, raw := range []string{"<script", "<b>host", "<img", "onerror=\"alert"} {
		if strings.Contains(body, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;host&lt;/b&gt;", "&lt;img src=x"} {
		if !strings.Contains(body, escaped) {
			t.Errorf("the page lacks %q", escaped)
		}
	}
	if !strings.Contains(body, `class="outcome bad">error`) || !strings.Contains(body, `id="running"`) {
		t.Errorf("the page lacks the last outcome or the run in progress:\n%s", body)
	}
}

// failing is a backend whose every read fails with an error holding a secret.
type failing struct{}

var errDown = errors.New("redis at redis://:hunter2@db:6379 refused the connection")

func (failing) AppendRuns(context.Context, []contract.RunRecord) error { return errDown }
func (failing) Runs(context.Context, contract.RunQuery) ([]contract.RunRecord, error) {
	return nil, errDown
}
func (failing) LastRuns(context.Context, []string) (map[string]contract.RunRecord, error) {
	return nil, errDown
}
func (failing) Processes(context.Context) ([]contract.ProcessRecord, error) { return nil, errDown }
func (failing) Paused(context.Context) (map[string]string, error)           { return nil, errDown }

// A failing backend shows on the page (200, errors scrubbed of secrets); a missing one is said to be
// unavailable.
func TestPageShowsBackendProblems(t *testing.T) {
	down := failing{}
	h, err := New(Config{Jobs: testJobs(t), History: down, Registry: registryOf{down}, Control: controlOf{down},
		Secrets: []string{"hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	w := do(h, http.MethodGet, "/", nil, nil)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "refused the connection") || strings.Contains(body, "hunter2") {
		t.Errorf("GET / with a failing backend = %d, want 200 with the error scrubbed:\n%s", w.Code, body)
	}
	if !strings.Contains(body, `data-job="report"`) {
		t.Error("the jobs are not listed when the backend fails")
	}
	bare, err := New(Config{Jobs: testJobs(t)})
	if err != nil {
		t.Fatal(err)
	}
	if body := do(bare, http.MethodGet, "/", nil, nil).Body.String(); strings.Count(body, "unavailable") != 3 {
		t.Errorf("a page without backend does not say the three parts are unavailable:\n%s", body)
	}
	if _, err := New(Config{Token: "short"}); err == nil || !strings.Contains(err.Error(), "at least 16 bytes") {
		t.Errorf("New with a short token: %v, want an error naming the minimum", err)
	}
}

// registryOf and controlOf complete failing into the contracts' other methods, which the page never calls.
type registryOf struct{ failing }

func (registryOf) Heartbeat(context.Context, contract.ProcessRecord, time.Duration) (contract.Orders, error) {
	return contract.Orders{}, errDown
}
func (registryOf) Deregister(context.Context, string) error { return errDown }

type controlOf struct{ failing }

func (controlOf) SetPaused(context.Context, string, bool, string) error        { return errDown }
func (controlOf) AddRequest(context.Context, contract.ControlRequest) error    { return errDown }
func (controlOf) TakeRequest(context.Context, string, string) (bool, error)    { return false, errDown }
func (controlOf) Answer(context.Context, string, contract.ControlAnswer) error { return errDown }
func (controlOf) Answers(context.Context, string) ([]contract.ControlAnswer, error) {
	return nil, errDown
}
