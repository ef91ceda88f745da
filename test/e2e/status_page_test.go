package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The example application's own binary with --http and a token, its page in a real headless chromium: the
// demo jobs are listed with their last outcome; signed in, a click on Pause pauses the job in the running
// process, which then logs its ticks as paused.
func TestStatusPageOfTheAppInBrowser(t *testing.T) {
	t.Parallel()
	ctx := headlessChromium(t)
	address, token := freeAddress(t), "e2e-status-page-token"
	p := startForeground(t, hadeBinary, t.TempDir(), "cron", "start", "--http", address, "--http-token", token)
	page := "http://" + address + "/"
	waitFor(t, 30*time.Second, "a run of each demo job", func() bool {
		return ranAfter([]*process{p}, "foo", time.Time{}) > 0 && ranAfter([]*process{p}, "foo_func_for_test", time.Time{}) > 0
	})
	waitFor(t, 20*time.Second, "the page to show both demo jobs' last outcome ok (the history is written in batches)", func() bool {
		inBrowser(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`tr[data-job="foo_func_for_test"]`)))
		return textOf(t, ctx, `tr[data-job="foo"] td.outcome`) == "ok" && textOf(t, ctx, `tr[data-job="foo_func_for_test"] td.outcome`) == "ok"
	})
	inBrowser(t, ctx, chromedp.Click(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), token),
		chromedp.Submit(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS("#sign-out")))
	pausedAt := time.Now()
	inBrowser(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-job="foo"] button[value="pause"]`)), chromedp.WaitVisible(chromedp.CSS("#flash")))
	waitFor(t, 10*time.Second, "a tick of foo logged as paused", func() bool {
		for _, line := range p.runs() {
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err == nil && line.str("job") == "foo" && line.str("outcome") == "paused" && tick.After(pausedAt) {
				return true
			}
		}
		return false
	})
	stopAll(t, []*process{p}, []int{0})
}

// headlessChromium starts Debian's chromium, headless, with no network but loopback.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("HADE_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("chromium is required (HADE_REQUIRE_CHROMIUM=1) but not found: %v; `make chromium` installs it", err)
		}
		t.Skipf("chromium not found (%v): `make chromium` installs it", err)
	}
	options := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"), chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		options = append(options, chromedp.NoSandbox)
	}
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	ctx, cancel := chromedp.NewContext(allocator)
	t.Cleanup(func() { cancel(); cancelAllocator() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// inBrowser runs steps within 30s.
func inBrowser(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// textOf returns the text of the first element matching sel, "" when none does.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(found)
}
