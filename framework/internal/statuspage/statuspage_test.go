package statuspage

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/order"
	"github.com/hadeframe/hade/framework/internal/report"
)

const testToken = "0123456789abcdef-test-token"

// syncBuffer is a log sink safe for the handler's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testJobs registers the jobs "report" (distributed) and "cleanup" (normal), never started.
func testJobs(t *testing.T) []Job {
	t.Helper()
	s := engine.New()
	noop := func(*cobra.Command, []string) error { return nil }
	s.AddDistributedCronCommand("report", "* * * * * *", &cobra.Command{Use: "report", RunE: noop}, time.Second,
		engine.WithJitter(500*time.Millisecond))
	s.AddCronCommand("@every 1h", &cobra.Command{Use: "cleanup", RunE: noop})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return jobsOf(s.Entries())
}

// jobsOf returns the page's view of entries, as `cron start` makes it.
func jobsOf(entries []engine.Entry) []Job {
	jobs := make([]Job, 0, len(entries))
	for _, entry := range entries {
		jobs = append(jobs, Job{Name: entry.Name, Type: entry.Type, Spec: entry.Spec, Zone: entry.Zone,
			Service: entry.ServiceName, Options: report.EntryOptions(entry), Limit: entry.Limit, Next: entry.Next})
	}
	return jobs
}

// testPage returns a handler over a real (memory) backend, the backend and the handler's log.
func testPage(t *testing.T, token string) (*Handler, contract.Backend, *syncBuffer) {
	t.Helper()
	backend := memory.NewStore(nil).Open(backend.Retention{})
	t.Cleanup(func() {
		if err := backend.Close(); err != nil {
			t.Error(err)
		}
	})
	logs := &syncBuffer{}
	h, err := New(Config{Jobs: testJobs(t), History: backend, Registry: backend, Control: backend,
		AppID: "app-1", Token: token, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return h, backend, logs
}

// do serves one request; form, when not nil, is its urlencoded body.
func do(h http.Handler, method, target string, form url.Values, header http.Header, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, "http://status.test"+target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for key, values := range header {
		r.Header[key] = values
	}
	for _, cookie := range cookies {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// pausedJobs returns the paused jobs of control, sorted (their notes: pauseNotes).
func pausedJobs(t *testing.T, control contract.JobControl) []string {
	t.Helper()
	return slices.Sorted(maps.Keys(pauseNotes(t, control)))
}

// pauseNotes returns the paused jobs of control with their notes.
func pauseNotes(t *testing.T, control contract.JobControl) map[string]string {
	t.Helper()
	paused, err := control.Paused(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return paused
}

// Without a token the page has no form and no sign-in, and every action is refused, changing nothing.
func TestReadOnlyWithoutToken(t *testing.T) {
	h, backend, _ := testPage(t, "")
	page := do(h, http.MethodGet, "/", nil, nil)
	if page.Code != http.StatusOK {
		t.Fatalf("GET / = %d %s", page.Code, page.Body)
	}
	body := page.Body.String()
	for _, banned := range []string{"<form", "/login", "csrf", "<button"} {
		if strings.Contains(body, banned) {
			t.Errorf("read-only page contains %q", banned)
		}
	}
	if !strings.Contains(body, "read-only") || !strings.Contains(body, `data-job="report"`) ||
		!strings.Contains(body, "overlap forbid, jitter 500ms") {
		t.Errorf("page lacks the read-only note, the job report or its options:\n%s", body)
	}
	bearer := http.Header{"Authorization": {"Bearer anything-at-all-long-enough"}}
	for _, path := range []string{"/jobs/report/pause", "/jobs/report/run", "/jobs/report/kill", "/jobs/nope/pause", "/login"} {
		if w := do(h, http.MethodPost, path, url.Values{"csrf": {"x"}, "token": {"x"}}, bearer); w.Code != http.StatusForbidden {
			t.Errorf("POST %s = %d, want 403", path, w.Code)
		}
	}
	if paused := pausedJobs(t, backend); len(paused) != 0 {
		t.Errorf("paused after refused POSTs: %v", paused)
	}
	if w := do(h, http.MethodGet, "/login", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("GET /login without a token = %d, want 404", w.Code)
	}
}

// signIn posts the token and returns the session cookie.
func signIn(t *testing.T, h http.Handler) *http.Cookie {
	t.Helper()
	w := do(h, http.MethodPost, "/login", url.Values{"token": {testToken}}, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("sign-in = %d %q, want 303 to /", w.Code, w.Header().Get("Location"))
	}
	for _, cookie := range w.Result().Cookies() {
		if cookie.Name == sessionCookie {
			if strings.Contains(cookie.Value, testToken) || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
				t.Fatalf("session cookie %+v: want no token, HttpOnly, SameSite=Strict, Path=/", cookie)
			}
			return cookie
		}
	}
	t.Fatal("sign-in set no session cookie")
	return nil
}

// A wrong token, a missing cookie, a wrong or missing CSRF field, a cross-site request, a cookie of
// another token and a wrong Bearer token are all refused with 403 and change nothing.
func TestActionsRefusedWithoutValidCredentials(t *testing.T) {
	h, backend, _ := testPage(t, testToken)
	if w := do(h, http.MethodPost, "/login", url.Values{"token": {testToken + "x"}}, nil); w.Code != http.StatusForbidden {
		t.Errorf("sign-in with a wrong token = %d, want 403", w.Code)
	}
	session := signIn(t, h)
	csrf := h.keys.csrf(session.Value)
	other, _, _ := testPage(t, "another-token-0123456789")
	otherSession := &http.Cookie{Name: sessionCookie, Value: other.keys.newSession(time.Now())}
	good := url.Values{"csrf": {csrf}}
	cases := map[string]struct {
		form    url.Values
		header  http.Header
		cookies []*http.Cookie
	}{
		"no cookie":          {form: good},
		"no csrf":            {form: url.Values{}, cookies: []*http.Cookie{session}},
		"wrong csrf":         {form: url.Values{"csrf": {h.keys.csrf("other")}}, cookies: []*http.Cookie{session}},
		"cross-site origin":  {form: good, header: http.Header{"Origin": {"http://evil.test"}}, cookies: []*http.Cookie{session}},
		"cross-site fetch":   {form: good, header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, cookies: []*http.Cookie{session}},
		"other token cookie": {form: url.Values{"csrf": {other.keys.csrf(otherSession.Value)}}, cookies: []*http.Cookie{otherSession}},
		"forged cookie":      {form: good, cookies: []*http.Cookie{{Name: sessionCookie, Value: "99999999999.00"}}},
		"wrong bearer":       {form: url.Values{}, header: http.Header{"Authorization": {"Bearer " + testToken + "x"}}},
		"bearer cross-site":  {form: url.Values{}, header: http.Header{"Authorization": {"Bearer " + testToken}, "Sec-Fetch-Site": {"cross-site"}}},
	}
	for name, c := range cases {
		if w := do(h, http.MethodPost, "/jobs/report/pause", c.form, c.header, c.cookies...); w.Code != http.StatusForbidden {
			t.Errorf("%s: POST = %d %s, want 403", name, w.Code, w.Body)
		}
	}
	if paused := pausedJobs(t, backend); len(paused) != 0 {
		t.Errorf("paused after refused POSTs: %v", paused)
	}
	if k := newSessionKeys(testToken); k.validSession(k.newSession(time.Now()), time.Now().Add(sessionLifetime+time.Second)) {
		t.Error("an expired session is accepted")
	}
}

// A signed-in operator pauses with the form (303, flash once), resumes, requests a run; unknown jobs are
// refused with 400 naming them; a Bearer token acts too (200, text).
func TestActionsWithSessionAndBearer(t *testing.T) {
	h, backend, logs := testPage(t, testToken)
	session := signIn(t, h)
	page := do(h, http.MethodGet, "/", nil, nil, session)
	if body := page.Body.String(); !strings.Contains(body, `action="/jobs/report/pause"`) || strings.Contains(body, testToken) {
		t.Fatalf("signed-in page lacks the pause form or shows the token:\n%s", body)
	}
	form := url.Values{"csrf": {h.keys.csrf(session.Value)}, "note": {"disk full, see ticket 42"}}
	sameOrigin := http.Header{"Origin": {"http://status.test"}, "Sec-Fetch-Site": {"same-origin"}}
	w := do(h, http.MethodPost, "/jobs/report/pause", form, sameOrigin, session)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("pause = %d %q %s, want 303 to /", w.Code, w.Header().Get("Location"), w.Body)
	}
	if paused := pauseNotes(t, backend); !maps.Equal(paused, map[string]string{"report": "disk full, see ticket 42"}) {
		t.Fatalf("paused = %v, want report with its note", paused)
	}
	long := url.Values{"csrf": form["csrf"], "note": {strings.Repeat("x", 1025)}}
	if w := do(h, http.MethodPost, "/jobs/cleanup/pause", long, sameOrigin, session); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "at most 1024") {
		t.Errorf("a 1025-byte note = %d %s, want 400 naming the bound", w.Code, w.Body)
	}
	flash := w.Result().Cookies()[0]
	first := do(h, http.MethodGet, "/", nil, nil, session, flash).Body.String()
	if !strings.Contains(first, "paused report") || !strings.Contains(first, `action="/jobs/report/resume"`) ||
		!strings.Contains(first, "disk full, see ticket 42") {
		t.Errorf("page after pause lacks the flash or the resume form:\n%s", first)
	}
	if w := do(h, http.MethodPost, "/jobs/nope/pause", form, nil, session); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"nope"`) {
		t.Errorf("unknown job = %d %s, want 400 naming it", w.Code, w.Body)
	}
	if w := do(h, http.MethodPost, "/jobs/report/explode", form, nil, session); w.Code != http.StatusNotFound {
		t.Errorf("unknown action = %d, want 404", w.Code)
	}
	bearer := http.Header{"Authorization": {"Bearer " + testToken}}
	if w := do(h, http.MethodPost, "/jobs/report/resume", url.Values{}, bearer); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "resumed report") {
		t.Errorf("bearer resume = %d %s", w.Code, w.Body)
	}
	if paused := pausedJobs(t, backend); len(paused) != 0 {
		t.Errorf("paused after resume = %v", paused)
	}
	if w := do(h, http.MethodPost, "/jobs/cleanup/run", url.Values{}, bearer); w.Code != http.StatusOK {
		t.Fatalf("bearer run = %d %s", w.Code, w.Body)
	}
	orders, err := backend.Heartbeat(context.Background(), contract.ProcessRecord{AppID: "probe"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if requests := order.Requests(orders); len(requests) != 1 || requests[0].Job != "cleanup" || requests[0].Kind != order.Run {
		t.Errorf("requests = %+v, want one run of cleanup", requests)
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("the log holds the token")
	}
}
