package cronprocess

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Without webhooks there is no alerter; with some, the log shows their scheme and host only, and the
// stop says how many alerts were sent and lost.
func TestAlertsStartAndStop(t *testing.T) {
	log := &lockedBuffer{}
	c := Config{Logger: NewLogger(log, 0)}
	if alerter, err := startAlerts(c); alerter != nil || err != nil {
		t.Fatalf("without webhooks: %v, %v", alerter, err)
	}
	stopAlerts(nil, c.Logger)
	if log.String() != "" {
		t.Fatalf("no alerter logged:\n%s", log)
	}

	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer receiver.Close()
	c.Webhooks = []string{receiver.URL + "/hooks/secret1?token=secret2"}
	alerter, err := startAlerts(c)
	if err != nil || alerter == nil {
		t.Fatalf("with a webhook: %v, %v", alerter, err)
	}
	if alertObserver(alerter) == nil || alertObserver(nil) != nil {
		t.Fatal("alertObserver: want the alerter as an observer, and nil for no alerter")
	}
	stopAlerts(alerter, c.Logger)
	on, stopped := log.lines(t, "cron alerts on"), log.lines(t, "cron alerts stopped")
	if len(on) != 1 || len(stopped) != 1 || strings.Contains(log.String(), "secret") {
		t.Fatalf("the log:\n%s", log)
	}
	if shown := on[0]["webhooks"].([]any); len(shown) != 1 || shown[0] != receiver.URL+"/…" {
		t.Fatalf("webhooks shown as %v", shown)
	}
	if stopped[0]["sent"] != 0.0 || stopped[0]["lost"] != 0.0 {
		t.Fatalf("cron alerts stopped: %v", stopped[0])
	}

	c.Webhooks = []string{"ftp://hooks.example.com/x"}
	if _, err := startAlerts(c); err == nil || !strings.HasPrefix(err.Error(), "--alert-webhook: ") {
		t.Fatalf("an ftp webhook: %v, want an error naming --alert-webhook", err)
	}
}
