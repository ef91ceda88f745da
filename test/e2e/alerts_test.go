package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var alertsEnv = []string{"TESTAPP_REGISTRATIONS=alerts"}

// alertPayload is the part of an alert the tests read.
type alertPayload struct {
	Event    string `json:"event"`
	Job      string `json:"job"`
	Tick     string `json:"tick"`
	LastTick string `json:"last_tick"`
	Count    int    `json:"count"`
	Outcome  string `json:"outcome"`
	AppID    string `json:"app_id"`
	Text     string `json:"text"`
}

// alertReceiver is a real local webhook receiver that keeps every alert posted to it.
type alertReceiver struct {
	server *httptest.Server
	mu     sync.Mutex
	alerts []alertPayload
}

func newAlertReceiver(t *testing.T) *alertReceiver {
	r := &alertReceiver{}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var alert alertPayload
		if err := json.NewDecoder(req.Body).Decode(&alert); err != nil || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("an alert that is not JSON (%v) or has Content-Type %q", err, req.Header.Get("Content-Type"))
		}
		r.mu.Lock()
		r.alerts = append(r.alerts, alert)
		r.mu.Unlock()
	}))
	t.Cleanup(r.server.Close)
	return r
}

// byTick counts the alerts of event by "job tick" (tick as Unix seconds; for missed "job tick-last count").
func (r *alertReceiver) byTick(t *testing.T, event string) map[string]int {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	counts := map[string]int{}
	for _, alert := range r.alerts {
		if alert.Event == event {
			counts[tickKey(t, alert.Job, alert.Tick, alert.LastTick, alert.Count)]++
		}
	}
	return counts
}

// tickKey is "job tick" with tick in Unix seconds, or "job first-last count" for a gap.
func tickKey(t *testing.T, job, tick, lastTick string, count int) string {
	t.Helper()
	first := unixTick(t, tick)
	if lastTick == "" {
		return fmt.Sprintf("%s %d", job, first)
	}
	return fmt.Sprintf("%s %d-%d %d", job, first, unixTick(t, lastTick), count)
}

func unixTick(t *testing.T, text string) int64 {
	t.Helper()
	tick, err := time.Parse(time.RFC3339, text)
	if err != nil {
		t.Fatalf("tick %q: %v", text, err)
	}
	return tick.Unix()
}

// loggedOutcomes returns the run lines of the processes by "job tick" (Unix seconds): each outcome logged.
func loggedOutcomes(t *testing.T, processes []*process) map[string][]string {
	outcomes := map[string][]string{}
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") != "missed" {
				key := tickKey(t, line.str("job"), line.str("tick"), "", 0)
				outcomes[key] = append(outcomes[key], line.str("outcome"))
			}
		}
	}
	return outcomes
}

// expectedAlerts returns, from the run lines, the failed alerts (each error tick) and recovered alerts
// (each ok tick whose job's previous ok or error tick failed) that must have been sent, once each; and
// the missed alerts: one per gap that no process ran, as logged.
func expectedAlerts(t *testing.T, processes []*process) (failed, recovered, missed map[string]int) {
	failed, recovered, missed = map[string]int{}, map[string]int{}, map[string]int{}
	verdicts := map[string][]int64{} // by job: ok or error ticks
	outcome := map[string]string{}
	for key, outcomes := range loggedOutcomes(t, processes) {
		for _, o := range outcomes {
			if o == "ok" || o == "error" {
				job, tick, _ := strings.Cut(key, " ")
				var unix int64
				fmt.Sscan(tick, &unix)
				verdicts[job] = append(verdicts[job], unix)
				outcome[key] = o
			}
		}
	}
	for job, ticks := range verdicts {
		slices.Sort(ticks)
		for i, tick := range ticks {
			key := fmt.Sprintf("%s %d", job, tick)
			switch {
			case outcome[key] == "error":
				failed[key]++
			case i > 0 && outcome[fmt.Sprintf("%s %d", job, ticks[i-1])] == "error":
				recovered[key]++
			}
		}
	}
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") == "missed" && strings.HasPrefix(line.str("reason"), "no process ran") {
				count, _ := line["count"].(float64)
				missed[tickKey(t, line.str("job"), line.str("tick"), line.str("last_tick"), int(count))]++
			}
		}
	}
	return failed, recovered, missed
}

// verdictTicks returns how many ticks of job the processes logged ok or error.
func verdictTicks(t *testing.T, processes []*process, job string) int {
	n := 0
	for key, outcomes := range loggedOutcomes(t, processes) {
		if strings.HasPrefix(key, job+" ") && (slices.Contains(outcomes, "ok") || slices.Contains(outcomes, "error")) {
			n++
		}
	}
	return n
}

// Three processes sharing the local backend, a distributed job failing every second and one failing
// every other second: exactly one failed alert per failed tick and one recovered alert per first ok tick
// across the cluster; all stopped over 3s then one restarted: one missed alert for the gap.
func TestAlertsOncePerTickAcrossTheCluster(t *testing.T) {
	t.Parallel()
	receiver := newAlertReceiver(t)
	base := t.TempDir()
	args := []string{"cron", "start", "--alert-webhook", receiver.server.URL + "/hooks/secret-token"}
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startForegroundEnv(t, testappBinary, base, alertsEnv, args...)
	}
	waitFor(t, 60*time.Second, "8 ticks of failing", func() bool { return verdictTicks(t, processes, "failing") >= 8 })
	stopAll(t, processes, []int{0, 1, 2})
	time.Sleep(3 * time.Second)
	before := verdictTicks(t, processes, "failing")
	again := startForegroundEnv(t, testappBinary, base, alertsEnv, args...)
	all := append(slices.Clone(processes), again)
	waitFor(t, 30*time.Second, "3 ticks of failing after the restart", func() bool { return verdictTicks(t, all, "failing") >= before+3 })
	stopAll(t, []*process{again}, []int{0})

	failed, recovered, missed := expectedAlerts(t, all)
	for _, check := range []struct {
		event string
		want  map[string]int
	}{{"failed", failed}, {"recovered", recovered}, {"missed", missed}} {
		if got := receiver.byTick(t, check.event); fmt.Sprint(got) != fmt.Sprint(check.want) {
			t.Errorf("%s alerts by tick:\n%v\nwant, from the run lines, once each:\n%v", check.event, got, check.want)
		}
	}
	if len(failed) < 8 || len(recovered) < 3 {
		t.Fatalf("%d failed and %d recovered ticks: too few to tell", len(failed), len(recovered))
	}
	gaps := map[string]int{}
	for key := range missed {
		gaps[strings.Fields(key)[0]]++
	}
	if gaps["failing"] != 1 || gaps["flaky"] != 1 {
		t.Fatalf("missed gaps %v; want one of each job, over the 3s all processes were stopped", missed)
	}
	for i, p := range all {
		if len(p.logged("cron alerts on")) != 1 || len(p.logged("cron alerts stopped")) != 1 {
			t.Errorf("process %d did not log its alerts on and stopped once each", i)
		}
		for _, line := range p.lines {
			if text, _ := json.Marshal(line); strings.Contains(string(text), "secret-token") {
				t.Fatalf("process %d logged the webhook's path: %s", i, text)
			}
		}
	}
}

// The receiver is down: runs go on (their lines and history records are all there), each alert is
// retried, then logged as not delivered (scheme://host only) and counted.
func TestAlertsReceiverDownRunsGoOn(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	env := append([]string{"HADE_CRON_ALERT_WEBHOOKS=" + down + "/hook?token=secret-token"}, alertsEnv...)
	p := startForegroundEnv(t, testappBinary, base, env, "cron", "start")
	waitFor(t, 60*time.Second, "6 ticks of failing", func() bool { return verdictTicks(t, []*process{p}, "failing") >= 6 })
	stopAll(t, []*process{p}, []int{0})

	logged := verdictTicks(t, []*process{p}, "failing")
	r := run(t, testappBinary, base, alertsEnv, "cron", "history", "failing", "-o", "json", "-n", "0")
	var records []jsonRecord
	if err := json.Unmarshal([]byte(r.stdout), &records); err != nil || r.code != 0 {
		t.Fatalf("cron history exited %d: %s%s (%v)", r.code, r.stdout, r.stderr, err)
	}
	if len(records) != logged {
		t.Fatalf("%d history records of failing, %d run lines; want them equal: runs go on", len(records), logged)
	}
	losses := p.logged("cron alert not delivered")
	stopped := p.logged("cron alerts stopped before every queued alert was posted")
	stopped = append(stopped, p.logged("cron alerts stopped")...)
	if len(stopped) != 1 {
		t.Fatalf("the alerts' stop was logged %d times", len(stopped))
	}
	lost, _ := stopped[0]["lost"].(float64)
	if len(losses) < logged || int(lost) != len(losses) || stopped[0]["sent"] != 0.0 {
		t.Fatalf("%d loss lines, the stop line says lost %v sent %v, for %d failed runs; want a line per loss, every failure lost",
			len(losses), stopped[0]["lost"], stopped[0]["sent"], logged)
	}
	first := losses[0]
	if first.str("url") != down || !strings.Contains(first.str("reason"), "connection refused") {
		t.Fatalf("loss line %v; want url %s and the reason", first, down)
	}
	if !strings.Contains(first.str("reason"), "gave up after 3 attempts") {
		t.Fatalf("the first loss %v was not retried 3 times", first)
	}
	for _, line := range p.lines {
		if text, _ := json.Marshal(line); strings.Contains(string(text), "secret-token") {
			t.Fatalf("the process logged the webhook's query: %s", text)
		}
	}
}

// A webhook that is not an http(s) URL: cron start exits 1 naming the flag, before anything runs.
func TestAlertsInvalidWebhookRefused(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := run(t, testappBinary, base, alertsEnv, "cron", "start", "-d", "--alert-webhook", "hooks.example.com/secret-token")
	if r.code != 1 || !strings.Contains(r.stderr, "--alert-webhook") || strings.Contains(r.stdout+r.stderr, "secret-token") {
		t.Fatalf("cron start -d with a bad webhook: exit %d, %s%s; want 1 naming --alert-webhook, not the URL", r.code, r.stdout, r.stderr)
	}
}
