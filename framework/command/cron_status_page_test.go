package command

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
)

// The page lists root's jobs, says what a missing backend lacks, and refuses a short token naming its flag.
func TestStatusPageOfRoot(t *testing.T) {
	root := console.NewRoot("testapp", "test application")
	root.AddCronCommand("* * * * * *", &cobra.Command{Use: "noop", RunE: func(*cobra.Command, []string) error { return nil }})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := statusPage(root, "app", nil, "short", logger); err == nil || !strings.Contains(err.Error(), "--http-token") {
		t.Errorf("a short token: %v, want an error naming --http-token", err)
	}
	page, err := statusPage(root, "app", nil, "", logger)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	page.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `data-job="noop"`) || !strings.Contains(body, "unavailable") {
		t.Errorf("GET / = %d:\n%s", w.Code, body)
	}
}
