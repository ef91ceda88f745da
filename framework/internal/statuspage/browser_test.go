package statuspage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/internal/chromiumtest"
)

// cluster is a real scheduler running real jobs every second over a real (memory) backend.
type cluster struct {
	backend contract.Backend
	cron    *engine.Scheduler
	logs    *syncBuffer
}

// startCluster starts the jobs report (distributed, ok), cleanup (ok), sync-feed (fails) and slow (runs
// until killed), every second; the test's cleanup stops the scheduler.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	backend := memory.NewStore(nil).Open(backend.Retention{})
	command := func(name string, run func(*cobra.Command) error) *cobra.Command {
		return &cobra.Command{Use: name, RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) }}
	}
	ok := func(*cobra.Command) error { return nil }
	c := &cluster{backend: backend, cron: engine.New(), logs: &syncBuffer{}}
	c.cron.AddDistributedCronCommand("report", "* * * * * *", command("report", ok), time.Second)
	c.cron.AddCronCommand("* * * * * *", command("cleanup", ok))
	c.cron.AddCronCommand("* * * * * *", command("sync-feed", func(*cobra.Command) error {
		return errors.New("feed server answered 503 Service Unavailable")
	}))
	c.cron.AddCronCommand("* * * * * *", command("slow", func(cmd *cobra.Command) error {
		<-cmd.Context().Done() // a long import: runs until killed or stopped
		return cmd.Context().Err()
	}))
	hostname, _ := os.Hostname()
	env := engine.Environment{Context: context.Background(), AppID: "0f3c2a9e-browser-test",
		Logger:  slog.New(slog.NewJSONHandler(c.logs, nil)),
		Backend: backend,
		Process: record.Process{Hostname: hostname, PID: os.Getpid(), Provider: "memory", Version: "test"}}
	if err := c.cron.Start(env); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.cron.Stop(5 * time.Second)
		if err := backend.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// page serves the status page of c (token empty: read-only) on a local HTTP server.
func (c *cluster) page(t *testing.T, token string) *httptest.Server {
	t.Helper()
	h, err := New(Config{Jobs: jobsOf(c.cron.Entries()), History: c.backend, Registry: c.backend, Control: c.backend,
		AppID: "0f3c2a9e-browser-test", Token: token, Logger: slog.New(slog.NewJSONHandler(c.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(h)
	t.Cleanup(server.Close)
	return server
}

// await polls condition every 100ms until it holds, failing the test after within.
func await(t *testing.T, within time.Duration, what string, condition func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done, err := condition()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lastOutcome is job's newest recorded outcome, "" when none.
func (c *cluster) lastOutcome(job string) (string, error) {
	last, err := record.LastRuns(context.Background(), c.backend, []string{job})
	return string(last[job].Outcome), err
}

// The page in a real browser: it lists the jobs with their last outcome; signed in with the token, a click
// on pause marks the job paused, the backend lists it and the scheduler records its ticks as paused; a
// click on kill ends a run; a forged cross-origin form is refused. Without a token there is no action
// and a forged POST is refused.
func TestStatusPageInBrowser(t *testing.T) {
	ctx := chromiumtest.Start(t, 1400, 1000)
	c := startCluster(t)
	for _, job := range []string{"report", "cleanup", "sync-feed"} {
		await(t, 15*time.Second, "a recorded run of "+job, func() (bool, error) {
			outcome, err := c.lastOutcome(job)
			return outcome != "", err
		})
	}
	t.Run("with token", func(t *testing.T) { withToken(t, ctx, c) })
	t.Run("without token", func(t *testing.T) { withoutToken(t, ctx, c) })
}

func withToken(t *testing.T, ctx context.Context, c *cluster) {
	server := c.page(t, testToken)
	chromiumtest.Do(t, ctx, chromedp.Navigate(server.URL))
	for job, want := range map[string]string{"report": "ok", "cleanup": "ok", "sync-feed": "error"} {
		if got := chromiumtest.Text(t, ctx, `tr[data-job="`+job+`"] td.outcome`); got != want {
			t.Errorf("job %s shows last outcome %q, want %q", job, got, want)
		}
	}
	if n := chromiumtest.Text(t, ctx, "#jobs button"); n != "" {
		t.Fatalf("actions are shown before signing in: %q", n)
	}
	chromiumtest.Do(t, ctx, chromedp.Click(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), testToken),
		chromedp.Submit(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS("#sign-out")))
	pausedAt := time.Now()
	chromiumtest.Do(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-job="report"] button[value="pause"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flash")))
	if got := chromiumtest.Text(t, ctx, `tr[data-job="report"] td.paused-state`); got != "paused paused on the status page" {
		t.Errorf("after the click, report's paused column reads %q, want paused with the default note", got)
	}
	if paused, err := c.backend.Paused(context.Background()); err != nil || !maps.Equal(paused, map[string]string{"report": "paused on the status page"}) {
		t.Fatalf("the backend's paused jobs = %v, %v; want report with the default note", paused, err)
	}
	await(t, 10*time.Second, "a tick of report recorded as paused", func() (bool, error) {
		runs, err := record.Runs(context.Background(), c.backend, contract.RunQuery{Job: "report", Outcome: "paused", Since: pausedAt})
		return len(runs) > 0, err
	})
	chromiumtest.Do(t, ctx, chromedp.Navigate(server.URL), chromedp.WaitVisible(chromedp.CSS(`#running tr[data-job="slow"] button[value="kill"]`)))
	screenshot(t, ctx)
	killedAt := time.Now()
	chromiumtest.Do(t, ctx, chromedp.Click(chromedp.CSS(`#running tr[data-job="slow"] button[value="kill"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flash")))
	await(t, 10*time.Second, "the run of slow recorded as killed", func() (bool, error) {
		runs, err := record.Runs(context.Background(), c.backend, contract.RunQuery{Job: "slow", Outcome: "killed", Since: killedAt.Add(-time.Minute)})
		return len(runs) > 0, err
	})
	forged(t, ctx, c, server.URL, "/jobs/cleanup/pause")
}

func withoutToken(t *testing.T, ctx context.Context, c *cluster) {
	server := c.page(t, "")
	chromiumtest.Do(t, ctx, chromedp.Navigate(server.URL), chromedp.WaitVisible(chromedp.CSS(`tr[data-job="cleanup"]`)))
	if got := chromiumtest.Text(t, ctx, `tr[data-job="cleanup"] td.outcome`); got != "ok" {
		t.Errorf("cleanup shows last outcome %q, want ok", got)
	}
	count, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("form, button, input").length`))
	if err != nil || count != 0 {
		t.Errorf("the read-only page has %d forms, buttons or inputs (%v), want none", count, err)
	}
	if got := chromiumtest.Text(t, ctx, "header"); !strings.Contains(got, "read-only") {
		t.Errorf("the header reads %q, want it to say read-only", got)
	}
	forged(t, ctx, c, server.URL, "/jobs/cleanup/pause")
}

// forged submits, from a page of another origin, a form posting to target+path, and checks that the status
// page refuses it with 403 and that cleanup is not paused.
func forged(t *testing.T, ctx context.Context, c *cluster, target, path string) {
	t.Helper()
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!DOCTYPE html><form method="post" action="%s%s"><input name="csrf" value="guess">`+
			`<button id="go" type="submit">win a prize</button></form>`, target, path)
	}))
	defer evil.Close()
	chromiumtest.Do(t, ctx, chromedp.Navigate(evil.URL))
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	response, err := chromedp.RunResponse(rctx, chromedp.Click(chromedp.CSS("#go")))
	if err != nil {
		t.Fatal(err)
	}
	if response.Status != http.StatusForbidden {
		t.Errorf("the forged POST to %s answered %d, want 403", path, response.Status)
	}
	if paused, err := c.backend.Paused(context.Background()); err != nil || slices.Contains(slices.Collect(maps.Keys(paused)), "cleanup") {
		t.Errorf("after the forged POST the paused jobs are %v (%v): cleanup must not be among them", paused, err)
	}
}

// screenshot saves the page as PNG to $HADE_STATUS_SCREENSHOT (relative to the repository root) when set.
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	path := os.Getenv("HADE_STATUS_SCREENSHOT")
	if path == "" {
		return
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join("..", "..", "..", path) // this package is framework/internal/statuspage
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the page written to %s", path)
}
