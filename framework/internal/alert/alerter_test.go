package alert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/local"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/observe"
	"github.com/hadeframe/hade/framework/internal/record"
)

// received is one request the receiver got.
type received struct {
	at      time.Time
	headers http.Header
	path    string
	payload map[string]any
}

// receiver is a real local HTTP webhook receiver: it answers each request with the next status of
// statuses (then 200), and records what it got.
type receiver struct {
	server   *httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("read the alert: %v", err)
		}
		var payload map[string]any
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("the alert %q is not JSON: %v", body, err)
		}
		r.mu.Lock()
		r.got = append(r.got, received{at: time.Now(), headers: req.Header.Clone(), path: req.URL.RequestURI(), payload: payload})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.server.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// events returns the event and job of each request, "event job".
func (r *receiver) events() []string {
	var events []string
	for _, got := range r.requests() {
		events = append(events, got.payload["event"].(string)+" "+got.payload["job"].(string))
	}
	return events
}

// logBuffer is a logger's output, safe for the sender goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newAlerter(t *testing.T, options alert.Options) (*alert.Alerter, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	options.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	if options.Backoff == 0 {
		options.Backoff = 20 * time.Millisecond
	}
	a, err := alert.New(options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return a, logs
}

func closeAlerter(t *testing.T, a *alert.Alerter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

var base = time.Now().UTC().Truncate(time.Second)

// runOf is a settled run record of job at base+second.
func runOf(job, typ, outcome string, second int) record.Run {
	tick := base.Add(time.Duration(second) * time.Second)
	r := record.Run{Job: job, Type: typ, Tick: tick, AppID: "app-1", Hostname: "host-1", PID: 4242,
		Outcome: contract.Outcome(outcome), Started: tick.Add(10 * time.Millisecond), Finished: tick.Add(1510 * time.Millisecond),
		Attempt: 1, Count: 1, LastTick: tick}
	if typ == "distributed" {
		r.Service = job
	}
	if outcome != "ok" {
		r.Error = "exit status 1 <&>"
	}
	return r
}

func TestFailedAlertPayload(t *testing.T) {
	r := newReceiver(t)
	a, _ := newAlerter(t, alert.Options{URLs: []string{r.server.URL + "/hook/secret"}})
	failed := runOf("report", "distributed", "timeout", 0)
	failed.Attempt, failed.PauseNote = 3, "paused on failure: tick … failed"
	a.Settled(failed)
	closeAlerter(t, a)
	got := r.requests()
	if len(got) != 1 || a.Sent() != 1 || a.Lost() != 0 {
		t.Fatalf("%d requests, sent %d, lost %d; want 1, 1, 0", len(got), a.Sent(), a.Lost())
	}
	if ct, ua := got[0].headers.Get("Content-Type"), got[0].headers.Get("User-Agent"); ct != "application/json" || !strings.Contains(ua, "hade") {
		t.Fatalf("Content-Type %q, User-Agent %q", ct, ua)
	}
	want := map[string]any{"event": "failed", "job": "report", "type": "distributed", "service": "report",
		"tick": base.Format(time.RFC3339), "outcome": "timeout", "error": "exit status 1 <&>", "attempt": 3.0,
		"app_id": "app-1", "hostname": "host-1", "pid": 4242.0, "started": base.Add(10 * time.Millisecond).Format(time.RFC3339),
		"finished": base.Add(1510 * time.Millisecond).Format(time.RFC3339), "duration_seconds": 1.5,
		"pause_note": "paused on failure: tick … failed"}
	for key, value := range want {
		if got[0].payload[key] != value {
			t.Errorf("payload %s = %v; want %v", key, got[0].payload[key], value)
		}
	}
	for _, key := range []string{"last_tick", "count"} {
		if _, ok := got[0].payload[key]; ok {
			t.Errorf("a failed alert has %s", key)
		}
	}
	text := got[0].payload["text"].(string)
	if !strings.Contains(text, "job report failed (timeout)") || !strings.Contains(text, "after 3 attempts") ||
		!strings.Contains(text, "exit status 1 &lt;&amp;&gt;") || !strings.Contains(text, "the job is now paused for every process") {
		t.Fatalf("text %q", text)
	}
}

func TestMissedAlertPayload(t *testing.T) {
	r := newReceiver(t)
	a, _ := newAlerter(t, alert.Options{URLs: []string{r.server.URL}})
	missed := runOf("report", "distributed", "missed", 0)
	missed.Count, missed.LastTick, missed.Error = 4, base.Add(3*time.Second), "no process ran these ticks"
	a.Settled(missed)
	closeAlerter(t, a)
	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests; want 1", len(got))
	}
	p := got[0].payload
	if p["event"] != "missed" || p["count"] != 4.0 || p["last_tick"] != base.Add(3*time.Second).Format(time.RFC3339) ||
		p["tick"] != base.Format(time.RFC3339) || !strings.Contains(p["text"].(string), "missed 4 tick(s)") {
		t.Fatalf("missed payload %v", p)
	}
}

// Only failed outcomes alert; not_run, canceled, skipped and others do not.
func TestOnlyFailuresAlert(t *testing.T) {
	r := newReceiver(t)
	a, _ := newAlerter(t, alert.Options{URLs: []string{r.server.URL}})
	for i, outcome := range []string{"ok", "skipped", "paused", "not_claimed", "canceled", "not_run", "abandoned",
		"error", "panic", "timeout", "killed"} {
		a.Settled(runOf(outcome, "normal", outcome, i))
	}
	closeAlerter(t, a)
	if got := strings.Join(r.events(), ", "); got != "failed error, failed panic, failed timeout, failed killed" {
		t.Fatalf("alerts %s", got)
	}
}

// 500 twice then 200: three posts, the second wait twice the first; 400: one post, the loss logged
// without the URL's secrets.
func TestRetriesWithBackoffAndNoRetryOnClientError(t *testing.T) {
	r := newReceiver(t, 500, 503, 200)
	a, _ := newAlerter(t, alert.Options{URLs: []string{r.server.URL}, Backoff: 100 * time.Millisecond})
	a.Settled(runOf("report", "normal", "error", 0))
	closeAlerter(t, a)
	got := r.requests()
	if len(got) != 3 || a.Sent() != 1 || a.Lost() != 0 {
		t.Fatalf("%d posts, sent %d, lost %d; want 3, 1, 0", len(got), a.Sent(), a.Lost())
	}
	if first, second := got[1].at.Sub(got[0].at), got[2].at.Sub(got[1].at); first < 100*time.Millisecond || second < 200*time.Millisecond {
		t.Fatalf("waits between posts %s, %s; want at least 100ms then 200ms", first, second)
	}

	refusing := newReceiver(t, 400, 400, 400)
	a, logs := newAlerter(t, alert.Options{URLs: []string{strings.Replace(refusing.server.URL, "://", "://user:pw@", 1) + "/T0/secret-path?token=secret-query"}})
	a.Settled(runOf("report", "normal", "error", 0))
	closeAlerter(t, a)
	if got := len(refusing.requests()); got != 1 || a.Lost() != 1 || a.Sent() != 0 {
		t.Fatalf("%d posts, lost %d, sent %d on 400; want 1, 1, 0", got, a.Lost(), a.Sent())
	}
	text := logs.String()
	if !strings.Contains(text, "cron alert not delivered") || !strings.Contains(text, "400 Bad Request") ||
		!strings.Contains(text, `"url":"`+refusing.server.URL+`"`) {
		t.Fatalf("log %s", text)
	}
	for _, secret := range []string{"pw", "secret-path", "secret-query", "user"} {
		if strings.Contains(text, secret) {
			t.Fatalf("the log shows %q: %s", secret, text)
		}
	}
}

// A receiver that never answers: Settled returns at once whatever the queue holds, and what does not fit
// is counted lost; Close ends the stuck post when its context ends.
func TestSettledNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	}))
	defer stuck.Close()
	defer close(release)
	a, logs := newAlerter(t, alert.Options{URLs: []string{stuck.URL}, QueueSize: 2, Timeout: time.Minute})
	for i := 0; i < 100; i++ {
		a.Settled(runOf("report", "normal", "error", i))
	}
	if lost := a.Lost(); lost < 97 {
		t.Fatalf("lost %d of 100 alerts with a queue of 2 and a stuck receiver; want at least 97", lost)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := a.Close(ctx); err == nil {
		t.Fatal("Close returned nil although its context ended with posts in flight")
	}
	if a.Lost() != 100 || a.Sent() != 0 {
		t.Fatalf("lost %d, sent %d after Close; want 100, 0", a.Lost(), a.Sent())
	}
	if lines := strings.Count(logs.String(), "cron alert not delivered"); lines != 100 {
		t.Fatalf("%d loss lines; want 100", lines)
	}
	a.Settled(runOf("report", "normal", "error", 200)) // after Close: dropped, counted
	if a.Lost() != 101 {
		t.Fatalf("lost %d after a Settled following Close; want 101", a.Lost())
	}
}

// A receiver that is down: every attempt fails, the alert is lost and counted; a second URL still gets it.
func TestReceiverDownIsCounted(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	up := newReceiver(t)
	a, logs := newAlerter(t, alert.Options{URLs: []string{downURL, up.server.URL}})
	a.Settled(runOf("report", "normal", "panic", 0))
	closeAlerter(t, a)
	if a.Lost() != 1 || a.Sent() != 1 || len(up.requests()) != 1 {
		t.Fatalf("lost %d, sent %d, %d posts to the live URL; want 1, 1, 1", a.Lost(), a.Sent(), len(up.requests()))
	}
	if text := logs.String(); !strings.Contains(text, "gave up after 3 attempts") || !strings.Contains(text, downURL) {
		t.Fatalf("log %s", text)
	}
}

// Recovered from memory: the first ok after failures of a normal job; a distributed job whose tick another
// process held is not known (no history: no alert).
func TestRecoveredFromMemory(t *testing.T) {
	r := newReceiver(t)
	a, _ := newAlerter(t, alert.Options{URLs: []string{r.server.URL}})
	for i, outcome := range []string{"ok", "error", "error", "skipped", "ok", "ok", "error", "ok"} {
		a.Settled(runOf("local", "normal", outcome, i))
	}
	a.Settled(runOf("shared", "distributed", "error", 0))
	a.Claimed("shared", observe.ClaimHeld)
	a.Settled(runOf("shared", "distributed", "ok", 2))
	a.Settled(runOf("shared", "distributed", "error", 3))
	a.Claimed("shared", observe.ClaimWon)
	a.Settled(runOf("shared", "distributed", "ok", 4))
	closeAlerter(t, a)
	want := "failed local, failed local, recovered local, failed local, recovered local, failed shared, failed shared, recovered shared"
	if got := strings.Join(r.events(), ", "); got != want {
		t.Fatalf("alerts %s; want %s", got, want)
	}
}

// Recovered from a real history (the local backend) when another process settled the previous tick:
// skipped and missed records between are passed over.
func TestRecoveredFromHistory(t *testing.T) {
	history, err := local.New(t.TempDir(), backend.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := history.Close(); err != nil {
			t.Error(err)
		}
	}()
	other := func(job, outcome string, second int) record.Run {
		rec := runOf(job, "distributed", outcome, second)
		rec.AppID = "app-2"
		return rec
	}
	var stored []contract.RunRecord
	for _, run := range []record.Run{other("a", "error", 0), other("a", "skipped", 1), other("a", "missed", 2),
		other("b", "error", 0), other("b", "ok", 1)} {
		encoded, err := record.EncodeRun(run)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, encoded)
	}
	if err := history.AppendRuns(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	a, _ := newAlerter(t, alert.Options{URLs: []string{r.server.URL}, History: history})
	a.Settled(runOf("a", "distributed", "ok", 3)) // never saw a: reads the history
	a.Claimed("b", observe.ClaimHeld)
	a.Settled(runOf("b", "distributed", "ok", 2))
	a.Settled(runOf("c", "distributed", "ok", 0)) // no record of c at all
	closeAlerter(t, a)
	got := r.requests()
	if len(got) != 1 || got[0].payload["event"] != "recovered" || got[0].payload["job"] != "a" ||
		got[0].payload["tick"] != base.Add(3*time.Second).Format(time.RFC3339) {
		t.Fatalf("alerts %v; want one recovered of a", r.events())
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, raw := range []string{"", "hooks.example.com/x", "ftp://example.com/x", "https://", "https://exa mple.com/%zz"} {
		if _, err := alert.New(alert.Options{URLs: []string{"https://ok.example.com", raw}}); err == nil ||
			!strings.Contains(err.Error(), "#2") || (raw != "" && strings.Contains(err.Error(), raw)) {
			t.Errorf("New with %q: %v; want an error naming #2, not quoting the URL", raw, err)
		}
	}
	if _, err := alert.New(alert.Options{}); err == nil {
		t.Error("New without URLs returned no error")
	}
	if got := alert.ShownURL("https://u:p@hooks.example.com:8443/services/T0/B0/XX?token=1"); got != "https://hooks.example.com:8443" {
		t.Errorf("ShownURL = %q", got)
	}
	if got := alert.ShownURLs("https://u:p@h1.example.com/a/secret1,http://h2.example.com:8080/x?token=secret2"); got !=
		"https://h1.example.com/…,http://h2.example.com:8080/…" {
		t.Errorf("ShownURLs = %q", got)
	}
	if got := alert.ShownURLs(""); got != "" {
		t.Errorf("ShownURLs of no URL = %q, want empty", got)
	}
}
