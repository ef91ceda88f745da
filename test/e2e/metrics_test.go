package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hadeframe/hade/internal/redistest"
)

// freeAddress returns a loopback host:port that nothing listens on right now.
func freeAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	return address
}

// httpGet returns the status and body of GET url, or code 0 when nothing answered.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	response, err := client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return response.StatusCode, string(body)
}

// scrapeMetrics GETs /metrics at address and parses it with Prometheus's text parser.
func scrapeMetrics(t *testing.T, address string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, "http://"+address+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return families
}

// metricOf returns the metric of family name with exactly labels (name, value pairs), or nil.
func metricOf(families map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	for _, metric := range families[name].GetMetric() {
		if len(metric.GetLabel())*2 != len(labels) {
			continue
		}
		matches := 0
		for i := 0; i < len(labels); i += 2 {
			for _, pair := range metric.GetLabel() {
				if pair.GetName() == labels[i] && pair.GetValue() == labels[i+1] {
					matches++
				}
			}
		}
		if matches*2 == len(labels) {
			return metric
		}
	}
	return nil
}

// sample returns the value of a counter or gauge, 0 when it is absent.
func sample(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	metric := metricOf(families, name, labels...)
	if metric.GetCounter() != nil {
		return metric.GetCounter().GetValue()
	}
	return metric.GetGauge().GetValue()
}

// histogramOf returns job's histogram of family name, failing the test when it is absent.
func histogramOf(t *testing.T, families map[string]*dto.MetricFamily, name, job string) *dto.Histogram {
	t.Helper()
	histogram := metricOf(families, name, "job", job).GetHistogram()
	if histogram == nil {
		t.Fatalf("no %s{job=%q}", name, job)
	}
	return histogram
}

// cumulative returns the count of the bucket with upper bound le.
func cumulative(t *testing.T, histogram *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, bucket := range histogram.GetBucket() {
		if bucket.GetUpperBound() == le {
			return bucket.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%v", le)
	return 0
}

// okLines counts the ok run lines of job p logged so far.
func okLines(p *process, job string) int { return ranAfter([]*process{p}, job, time.Time{}) }

// checkRunsCounted checks hade_cron_runs_total{job, ok} of a scrape against the ok lines logged before
// and after it (the log line of a run is written just before its record reaches the metrics: one may be
// in between).
func checkRunsCounted(t *testing.T, families map[string]*dto.MetricFamily, job string, before, after int) float64 {
	t.Helper()
	got := sample(families, "hade_cron_runs_total", "job", job, "outcome", "ok")
	if got < float64(before-1) || got > float64(after) {
		t.Fatalf("hade_cron_runs_total{job=%q,outcome=\"ok\"} = %v; the log had %d ok runs before the scrape, %d after", job, got, before, after)
	}
	return got
}

// A foreground process with --http: probes answer, /metrics counts runs by job and outcome as the log
// shows them, and the histograms move as the runs did (tick is instant, slow takes 3s).
func TestMetricsAndProbesOverHTTP(t *testing.T) {
	t.Parallel()
	address, base := freeAddress(t), t.TempDir()
	startedAt := time.Now()
	p := startForegroundEnv(t, testappBinary, base, historyEnv, "cron", "start", "--http", address)
	waitFor(t, 20*time.Second, "/readyz to answer 200", func() bool { code, _ := httpGet(t, "http://"+address+"/readyz"); return code == 200 })
	if code, body := httpGet(t, "http://"+address+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := httpGet(t, "http://"+address+"/"); code != http.StatusOK || !strings.Contains(body, "every_second") {
		t.Fatalf("/ (the status page): %d, want 200 listing the jobs:\n%s", code, body)
	}
	if code, _ := httpGet(t, "http://"+address+"/no-such-page"); code != http.StatusNotFound {
		t.Fatalf("/no-such-page: %d, want 404", code)
	}
	if lines := p.logged("cron http listening"); len(lines) != 1 || lines[0].str("address") != address {
		t.Fatalf("cron http listening lines: %v, want one with address %s", lines, address)
	}
	waitFor(t, 30*time.Second, "2 ok runs of slow", func() bool { return okLines(p, "slow") >= 2 })
	jobs := []string{"tick", "every_second", "slow"}
	before := map[string]int{}
	for _, job := range jobs {
		before[job] = okLines(p, job)
	}
	families := scrapeMetrics(t, address)
	first := map[string]float64{}
	for _, job := range jobs {
		first[job] = checkRunsCounted(t, families, job, before[job], okLines(p, job))
	}
	checkHistograms(t, families, first)
	checkGauges(t, families, startedAt)
	// later: the counters moved as the runs did
	waitFor(t, 10*time.Second, "3 more runs of tick", func() bool { return okLines(p, "tick") >= before["tick"]+3 })
	before["tick"] = okLines(p, "tick")
	families = scrapeMetrics(t, address)
	if second := checkRunsCounted(t, families, "tick", before["tick"], okLines(p, "tick")); second < first["tick"]+2 {
		t.Fatalf("runs of tick went from %v to %v over 3 runs", first["tick"], second)
	}
	stopAll(t, []*process{p}, []int{0})
	if code, _ := httpGet(t, "http://"+address+"/healthz"); code != 0 {
		t.Fatalf("/healthz answers %d after the process stopped", code)
	}
}

// checkHistograms: every counted run of tick and slow was observed; slow's runs took 3s or more, tick's
// less than a second, and each first attempt's lateness was observed.
func checkHistograms(t *testing.T, families map[string]*dto.MetricFamily, runs map[string]float64) {
	t.Helper()
	slow := histogramOf(t, families, "hade_cron_run_duration_seconds", "slow")
	if count := float64(slow.GetSampleCount()); count < runs["slow"] || count > runs["slow"]+1 ||
		slow.GetSampleSum() < 3*float64(slow.GetSampleCount()) || cumulative(t, slow, 2.5) != 0 {
		t.Fatalf("slow's durations: %d samples summing %vs, %d under 2.5s; %v ok runs of 3s counted",
			slow.GetSampleCount(), slow.GetSampleSum(), cumulative(t, slow, 2.5), runs["slow"])
	}
	tick := histogramOf(t, families, "hade_cron_run_duration_seconds", "tick")
	if count := float64(tick.GetSampleCount()); count < runs["tick"] || cumulative(t, tick, 1) != tick.GetSampleCount() {
		t.Fatalf("tick's durations: %d samples, %d under 1s; %v ok runs counted", tick.GetSampleCount(), cumulative(t, tick, 1), runs["tick"])
	}
	late := histogramOf(t, families, "hade_cron_run_lateness_seconds", "tick")
	if count := float64(late.GetSampleCount()); count < runs["tick"] || late.GetSampleSum() < 0 {
		t.Fatalf("tick's lateness: %d samples; %v ok runs counted", late.GetSampleCount(), runs["tick"])
	}
}

// checkGauges: claims won cover the distributed runs, the local backend answers, the last success is
// recent, the process start time is the process's, and no per-run series has a tick or app id label.
func checkGauges(t *testing.T, families map[string]*dto.MetricFamily, startedAt time.Time) {
	t.Helper()
	for _, job := range []string{"every_second", "slow"} {
		won := sample(families, "hade_cron_claims_total", "job", job, "result", "won")
		if ran := sample(families, "hade_cron_runs_total", "job", job, "outcome", "ok"); won < ran || won == 0 {
			t.Fatalf("%s: %v claims won for %v ok runs", job, won, ran)
		}
	}
	if up := metricOf(families, "hade_cron_backend_up"); up.GetGauge().GetValue() != 1 {
		t.Fatalf("hade_cron_backend_up = %v with the local backend", up)
	}
	now := float64(time.Now().Unix()) + 1
	if last := sample(families, "hade_cron_last_success_timestamp_seconds", "job", "tick"); last < float64(startedAt.Unix()) || last > now {
		t.Fatalf("last success of tick at %v; the process started at %d", last, startedAt.Unix())
	}
	if started := sample(families, "process_start_time_seconds"); started < float64(startedAt.Unix()-1) || started > now {
		t.Fatalf("process_start_time_seconds = %v; the process started at %d", started, startedAt.Unix())
	}
	for name, family := range families {
		for _, metric := range family.GetMetric() {
			for _, label := range metric.GetLabel() {
				if strings.HasPrefix(name, "hade_cron_") && (label.GetName() == "tick" || label.GetName() == "app_id") {
					t.Fatalf("%s has a %s label", name, label.GetName())
				}
			}
		}
	}
}

// A daemon started with --http serves the same; its token is on no command line, in no pidfile nor log.
func TestMetricsFromADaemon(t *testing.T) {
	t.Parallel()
	address, base := freeAddress(t), t.TempDir()
	const token = "tok-e2e-0123456789"
	pid := startDaemon(t, base, "--http", address, "--http-token", token)
	waitFor(t, 20*time.Second, "an ok run of foo in /metrics", func() bool {
		code, _ := httpGet(t, "http://"+address+"/readyz")
		return code == 200 && sample(scrapeMetrics(t, address), "hade_cron_runs_total", "job", "foo", "outcome", "ok") >= 1
	})
	if code, body := httpGet(t, "http://"+address+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz of the daemon: %d %q", code, body)
	}
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || strings.Contains(string(cmdline), token) {
		t.Fatalf("the daemon's command line has the token (or cannot be read: %v)", err)
	}
	state := mustRun(t, hadeBinary, base, "cron", "state", "--output", "json")
	mustRun(t, hadeBinary, base, "cron", "stop")
	if code, _ := httpGet(t, "http://"+address+"/healthz"); code != 0 {
		t.Fatalf("/healthz answers %d after cron stop", code)
	}
	texts := map[string]string{"cron state": state}
	for _, pattern := range []string{"storage/log/*", "storage/runtime/*.pid", "storage/runtime/*.json"} {
		paths, _ := filepath.Glob(filepath.Join(base, pattern))
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			texts[path] = string(data)
		}
	}
	for where, text := range texts {
		if strings.Contains(text, token) {
			t.Fatalf("%s shows the token", where)
		}
	}
	if !strings.Contains(texts[filepath.Join(base, "storage/log/cron.log")], `"msg":"cron http listening"`) {
		t.Fatal("the daemon's log lacks the cron http listening line")
	}
}

// /readyz and hade_cron_backend_up follow the backend: Redis stopped, they turn 503 and 0; back, 200 and 1,
// and the records lost meanwhile are counted.
func TestReadyzFollowsTheBackend(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "")
	address := freeAddress(t)
	p := startForegroundEnv(t, testappBinary, t.TempDir(), historyEnv, append(redisFlags(server), "cron", "start", "--http", address)...)
	readyz := func() int { code, _ := httpGet(t, "http://"+address+"/readyz"); return code }
	backendUp := func() float64 { return sample(scrapeMetrics(t, address), "hade_cron_backend_up") }
	waitFor(t, 20*time.Second, "/readyz 200", func() bool { return readyz() == 200 })
	server.Stop()
	waitFor(t, 15*time.Second, "/readyz 503 and backend_up 0 with Redis down", func() bool { return readyz() == 503 && backendUp() == 0 })
	if _, body := httpGet(t, "http://"+address+"/readyz"); !strings.Contains(body, "backend") {
		t.Fatalf("/readyz with Redis down says %q; want the backend named as the reason", body)
	}
	waitFor(t, 20*time.Second, "the records lost while Redis is down counted", func() bool {
		return sample(scrapeMetrics(t, address), "hade_cron_history_records_lost_total") > 0
	})
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "/readyz 200 and backend_up 1 with Redis back", func() bool { return readyz() == 200 && backendUp() == 1 })
	stopAll(t, []*process{p}, []int{0})
}

// A bad --http fails before anything starts, naming the flag and a valid example, with or without -d; a
// bound port fails the start naming the address; a non-loopback address without a token warns.
func TestHTTPBadAddressTakenPortAndWarning(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, args := range [][]string{{"cron", "start", "--http", "9090"}, {"cron", "start", "-d", "--http", "9090"}} {
		r := run(t, hadeBinary, base, nil, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "--http") || !strings.Contains(r.stderr, `"127.0.0.1:9090"`) {
			t.Fatalf("%v: exit %d, stderr %q; want an error naming --http and a valid example", args, r.code, r.stderr)
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(base, "storage", "runtime", "cron.*.pid")); len(entries) != 0 {
		t.Fatalf("a bad --http left pidfiles: %v", entries)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, args := range [][]string{{"cron", "start", "--http", taken.Addr().String()}, {"cron", "start", "-d", "--http", taken.Addr().String()}} {
		r := run(t, hadeBinary, base, nil, args...)
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "listen on "+taken.Addr().String()) {
			t.Fatalf("%v on a bound port: exit %d, %q %q; want an error naming the address", args, r.code, r.stdout, r.stderr)
		}
	}
	_, port, _ := net.SplitHostPort(freeAddress(t))
	p := startForeground(t, hadeBinary, base, "cron", "start", "--http", "0.0.0.0:"+port)
	waitFor(t, 20*time.Second, "the warning about a non-loopback address", func() bool {
		return len(p.logged("cron http listens on a non-loopback address without a token: whoever reaches it reads "+
			"the metrics and the status page; set --http-token or HADE_CRON_HTTP_TOKEN for actions, bind loopback or restrict access")) == 1
	})
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-p.done
}
