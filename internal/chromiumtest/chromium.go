// Package chromiumtest starts Debian's chromium, headless, for a test that drives a page with chromedp,
// and stops it at cleanup.
package chromiumtest

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

// RequireEnv is set to 1 by `make test`: then a missing chromium fails the tests instead of skipping them.
const RequireEnv = "HADE_REQUIRE_CHROMIUM"

// stepTimeout bounds each Do and Text.
const stepTimeout = 30 * time.Second

// Start starts a headless chromium (--no-sandbox as root) that resolves no host but 127.0.0.1, in a
// window of width × height pixels, and returns its context. Without chromium on the PATH it skips the
// test, or fails it when RequireEnv is 1.
func Start(t *testing.T, width, height int) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("chromium is required (%s=1) but not found: %v; `make chromium` installs it", RequireEnv, err)
		}
		t.Skipf("chromium not found (%v): `make chromium` installs it", err)
	}
	options := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(width, height),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("disable-gpu", true))
	if os.Geteuid() == 0 {
		options = append(options, chromedp.NoSandbox)
	}
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	ctx, cancel := chromedp.NewContext(allocator)
	t.Cleanup(func() { cancel(); cancelAllocator() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout (see chromedp.Run)
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// Do runs steps in the browser of ctx within 30s, failing the test on an error.
func Do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// Text returns the trimmed text of the first element matching the CSS selector sel, "" when none does.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(document.querySelector(%q) || {innerText: ""}).innerText`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(found)
}
