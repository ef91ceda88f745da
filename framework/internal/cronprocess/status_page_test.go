package cronprocess

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The page lists the scheduler's jobs, says what a missing backend lacks, and refuses a short token
// naming its flag.
func TestStatusPageOfTheScheduler(t *testing.T) {
	c := Config{Scheduler: newScheduler(true), AppID: "app", Logger: NewLogger(io.Discard, 0)}
	if _, err := statusPage(c, "short"); err == nil || !strings.Contains(err.Error(), "--http-token") {
		t.Errorf("a short token: %v, want an error naming --http-token", err)
	}
	page, err := statusPage(c, "")
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	page.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `data-job="noop"`) ||
		!strings.Contains(body, "unavailable") {
		t.Errorf("GET / = %d:\n%s", w.Code, body)
	}
}
