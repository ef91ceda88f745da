package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hadeframe/hade/internal/chromiumtest"
)

// The example application's own binary with --http and a token, its page in a real headless chromium: the
// demo jobs are listed with their last outcome; signed in, a click on Pause pauses the job in the running
// process, which then logs its ticks as paused.
func TestStatusPageOfTheAppInBrowser(t *testing.T) {
	t.Parallel()
	ctx := chromiumtest.Start(t, 1400, 1000)
	address, token := freeAddress(t), "e2e-status-page-token"
	p := startForeground(t, hadeBinary, t.TempDir(), "cron", "start", "--http", address, "--http-token", token)
	page := "http://" + address + "/"
	waitFor(t, 30*time.Second, "a run of each demo job", func() bool {
		return ranAfter([]*process{p}, "foo", time.Time{}) > 0 && ranAfter([]*process{p}, "foo_func_for_test", time.Time{}) > 0
	})
	waitFor(t, 20*time.Second, "the page to show both demo jobs' last outcome ok (the history is written in batches)", func() bool {
		chromiumtest.Do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`tr[data-job="foo_func_for_test"]`)))
		return chromiumtest.Text(t, ctx, `tr[data-job="foo"] td.outcome`) == "ok" && chromiumtest.Text(t, ctx, `tr[data-job="foo_func_for_test"] td.outcome`) == "ok"
	})
	chromiumtest.Do(t, ctx, chromedp.Click(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), token),
		chromedp.Submit(chromedp.CSS("#sign-in")), chromedp.WaitVisible(chromedp.CSS("#sign-out")))
	pausedAt := time.Now()
	chromiumtest.Do(t, ctx, chromedp.Click(chromedp.CSS(`tr[data-job="foo"] button[value="pause"]`)), chromedp.WaitVisible(chromedp.CSS("#flash")))
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
