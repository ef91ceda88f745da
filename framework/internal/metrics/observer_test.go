package metrics

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// scrape serves /metrics of o and parses the text exposition.
func scrape(t *testing.T, o *Observer) map[string]*dto.MetricFamily {
	t.Helper()
	recorder := httptest.NewRecorder()
	o.Handler().ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if recorder.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", recorder.Code, recorder.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(recorder.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// find returns the metric of family name whose labels are labels (name=value pairs), or nil.
func find(families map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	family := families[name]
	if family == nil {
		return nil
	}
	for _, metric := range family.GetMetric() {
		if hasLabels(metric, labels) {
			return metric
		}
	}
	return nil
}

func hasLabels(metric *dto.Metric, labels []string) bool {
	if len(metric.GetLabel())*2 != len(labels) {
		return false
	}
	for i := 0; i < len(labels); i += 2 {
		found := false
		for _, pair := range metric.GetLabel() {
			found = found || (pair.GetName() == labels[i] && pair.GetValue() == labels[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}

func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	metric := find(families, name, labels...)
	switch {
	case metric == nil:
		t.Fatalf("no %s%v in the scrape", name, labels)
	case metric.Counter != nil:
		return metric.Counter.GetValue()
	case metric.Gauge != nil:
		return metric.Gauge.GetValue()
	}
	t.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

var tick = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func runOf(job, outcome string, attempt int, late, duration time.Duration) record.Run {
	started := tick.Add(late)
	return record.Run{Job: job, Type: "normal", Tick: tick, AppID: "app-1", Outcome: contract.Outcome(outcome),
		Started: started, Finished: started.Add(duration), Late: late, Attempt: attempt, Count: 1, LastTick: tick}
}

// Runs are counted by job and outcome, missed ticks by their count; durations and first attempts'
// lateness go to the histograms, ticks that did not run their command do not.
func TestRunsAndHistograms(t *testing.T) {
	o := New()
	o.Attempted(runOf("report", "error", 1, 20*time.Millisecond, 300*time.Millisecond))
	o.Attempted(runOf("report", "ok", 2, 2*time.Second, 4*time.Second)) // a retry: no lateness
	o.Attempted(runOf("report", "skipped", 1, time.Millisecond, 0))
	missed := runOf("report", "missed", 1, time.Minute, 0)
	missed.Count = 3
	o.Attempted(missed)
	o.Attempted(runOf("cleanup", "ok", 1, 3*time.Millisecond, 7*time.Millisecond))
	families := scrape(t, o)
	for _, want := range []struct {
		job, outcome string
		runs         float64
	}{{"report", "error", 1}, {"report", "ok", 1}, {"report", "skipped", 1}, {"report", "missed", 3}, {"cleanup", "ok", 1}} {
		if got := value(t, families, "hade_cron_runs_total", "job", want.job, "outcome", want.outcome); got != want.runs {
			t.Errorf("runs of %s %s: %v, want %v", want.job, want.outcome, got, want.runs)
		}
	}
	duration := find(families, "hade_cron_run_duration_seconds", "job", "report").GetHistogram()
	if duration.GetSampleCount() != 2 || math.Abs(duration.GetSampleSum()-4.3) > 1e-9 {
		t.Errorf("duration of report: %d samples, sum %v; want 2 samples, sum 4.3", duration.GetSampleCount(), duration.GetSampleSum())
	}
	checkBucket(t, duration, 0.5, 1)
	checkBucket(t, duration, 5, 2)
	lateness := find(families, "hade_cron_run_lateness_seconds", "job", "report").GetHistogram()
	if lateness.GetSampleCount() != 1 || math.Abs(lateness.GetSampleSum()-0.02) > 1e-9 {
		t.Errorf("lateness of report: %d samples, sum %v; want the first attempt's only, 0.02", lateness.GetSampleCount(), lateness.GetSampleSum())
	}
	checkBucket(t, lateness, 0.01, 0)
	checkBucket(t, lateness, 0.025, 1)
}

func checkBucket(t *testing.T, histogram *dto.Histogram, upperBound float64, want uint64) {
	t.Helper()
	for _, bucket := range histogram.GetBucket() {
		if bucket.GetUpperBound() == upperBound {
			if bucket.GetCumulativeCount() != want {
				t.Errorf("bucket le=%v: %d, want %d", upperBound, bucket.GetCumulativeCount(), want)
			}
			return
		}
	}
	t.Errorf("no bucket le=%v", upperBound)
}

// The timestamps are absent until a settled run sets them; a failure moves the last run, not the last
// success; a skipped tick moves neither.
func TestLastRunAndLastSuccess(t *testing.T) {
	o := New()
	if families := scrape(t, o); find(families, "hade_cron_last_run_timestamp_seconds", "job", "report") != nil {
		t.Fatal("a last run before any run")
	}
	ok := runOf("report", "ok", 1, 0, 1500*time.Millisecond)
	o.Settled(ok)
	failed := runOf("report", "timeout", 1, 0, 30*time.Second)
	o.Settled(failed)
	o.Settled(runOf("report", "skipped", 1, 0, time.Hour))
	o.Settled(runOf("cleanup", "paused", 1, 0, 0))
	families := scrape(t, o)
	if got, want := value(t, families, "hade_cron_last_run_timestamp_seconds", "job", "report"), unix(failed.Finished); got != want {
		t.Errorf("last run %v, want %v", got, want)
	}
	if got, want := value(t, families, "hade_cron_last_success_timestamp_seconds", "job", "report"), unix(ok.Finished); got != want {
		t.Errorf("last success %v, want %v", got, want)
	}
	if find(families, "hade_cron_last_run_timestamp_seconds", "job", "cleanup") != nil ||
		find(families, "hade_cron_last_success_timestamp_seconds", "job", "cleanup") != nil {
		t.Error("a paused tick set a timestamp")
	}
}

func unix(at time.Time) float64 { return float64(at.UnixNano()) / 1e9 }

// Claims by job and result, backend up (absent before the first heartbeat), lost records, the process
// collector.
func TestClaimsBackendLostAndProcess(t *testing.T) {
	o := New()
	if find(scrape(t, o), "hade_cron_backend_up") != nil {
		t.Fatal("backend_up before any heartbeat")
	}
	o.Claimed("report", "won")
	o.Claimed("report", "won")
	o.Claimed("report", "held")
	o.BackendChecked(nil)
	o.RecordsLost(4)
	o.RecordsLost(0)
	o.Waiting("queued", 3)
	o.Waiting("queued", 2)
	o.RunsLeft("limited", 4)
	o.Paused(map[string]string{"report": "old note"})
	o.Paused(map[string]string{"report": "maintenance: ticket 42"})
	families := scrape(t, o)
	for _, want := range []struct {
		name   string
		labels []string
		value  float64
	}{
		{"hade_cron_claims_total", []string{"job", "report", "result", "won"}, 2},
		{"hade_cron_claims_total", []string{"job", "report", "result", "held"}, 1},
		{"hade_cron_backend_up", nil, 1},
		{"hade_cron_history_records_lost_total", nil, 4},
		{"hade_cron_buffered_ticks", []string{"job", "queued"}, 2},
		{"hade_cron_runs_remaining", []string{"job", "limited"}, 4},
		{"hade_cron_job_paused", []string{"job", "report", "note", "maintenance: ticket 42"}, 1},
	} {
		if got := value(t, families, want.name, want.labels...); got != want.value {
			t.Errorf("%s%v = %v, want %v", want.name, want.labels, got, want.value)
		}
	}
	if paused := families["hade_cron_job_paused"]; paused == nil || len(paused.GetMetric()) != 1 {
		t.Errorf("hade_cron_job_paused = %v; want one series, the last note's", paused)
	}
	o.Paused(nil)
	o.BackendChecked(errors.New("connection refused"))
	families = scrape(t, o)
	if families["hade_cron_job_paused"] != nil {
		t.Error("hade_cron_job_paused after the resume: still a series")
	}
	if got := value(t, families, "hade_cron_backend_up"); got != 0 {
		t.Errorf("backend_up after a failed heartbeat: %v", got)
	}
	if started := value(t, families, "process_start_time_seconds"); started <= 0 || started > float64(time.Now().Unix()+1) {
		t.Errorf("process_start_time_seconds = %v", started)
	}
	if families["go_goroutines"] == nil {
		t.Error("no Go collector metrics")
	}
}

// Per-run series carry only job and outcome/result labels: no tick, no app id.
func TestLabelsStayLowCardinality(t *testing.T) {
	o := New()
	o.Attempted(runOf("report", "ok", 1, 0, time.Second))
	o.Settled(runOf("report", "ok", 1, 0, time.Second))
	o.Claimed("report", "won")
	for name, family := range scrape(t, o) {
		for _, metric := range family.GetMetric() {
			for _, label := range metric.GetLabel() {
				if label.GetName() != "job" && label.GetName() != "outcome" && label.GetName() != "result" && name[:5] == "hade_" {
					t.Errorf("%s has label %s", name, label.GetName())
				}
			}
		}
	}
}

// Concurrent calls from many goroutines (run with -race) lose no count.
func TestConcurrentObservations(t *testing.T) {
	o := New()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				job := []string{"a", "b", "c"}[i%3]
				o.Attempted(runOf(job, "ok", 1, time.Millisecond, time.Millisecond))
				o.Settled(runOf(job, "ok", 1, time.Millisecond, time.Millisecond))
				o.Claimed(job, "won")
				o.BackendChecked(nil)
			}
		}()
	}
	wg.Wait()
	families := scrape(t, o)
	total := 0.0
	for _, job := range []string{"a", "b", "c"} {
		total += value(t, families, "hade_cron_runs_total", "job", job, "outcome", "ok")
	}
	if total != 1600 {
		t.Fatalf("%v runs counted, want 1600", total)
	}
}

// Once a job's series exist, the per-run calls allocate nothing.
func TestPerRunPathDoesNotAllocate(t *testing.T) {
	o := New()
	ok := runOf("report", "ok", 1, time.Millisecond, time.Millisecond)
	run := func() {
		o.Claimed("report", "won")
		o.Attempted(ok)
		o.Settled(ok)
		o.BackendChecked(nil)
	}
	run()
	if allocs := testing.AllocsPerRun(100, run); allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}

// BenchmarkPerRun measures the observer's cost of one run of a distributed job: a claim, an attempt and
// its settlement.
func BenchmarkPerRun(b *testing.B) {
	o := New()
	ok := runOf("report", "ok", 1, time.Millisecond, time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		o.Claimed("report", "won")
		o.Attempted(ok)
		o.Settled(ok)
	}
}

func TestAlertCountsAreReadAtEachScrape(t *testing.T) {
	o := New()
	var sent, lost uint64 = 3, 1
	o.CountAlerts(func() uint64 { return sent }, func() uint64 { return lost })
	families := scrape(t, o)
	if got := families["hade_cron_alerts_sent_total"].GetMetric()[0].GetCounter().GetValue(); got != 3 {
		t.Errorf("alerts sent = %v; want 3", got)
	}
	lost = 4
	if got := scrape(t, o)["hade_cron_alerts_lost_total"].GetMetric()[0].GetCounter().GetValue(); got != 4 {
		t.Errorf("alerts lost = %v; want 4 (read at the scrape)", got)
	}
}

func TestJobInfoGivesEachJobsOptions(t *testing.T) {
	o := New()
	o.DescribeJobs([]JobInfo{
		{Job: "report", Type: "distributed", Overlap: "forbid", Jitter: "30s", StartAt: "2027-01-01T00:00:00Z",
			EndAt: "2028-01-01T00:00:00Z", Exclude: "0 0 25 12 *", Limit: "5"},
		{Job: "cleanup", Type: "normal"},
	})
	families := scrape(t, o)
	if got := value(t, families, "hade_cron_job_info", "job", "report", "type", "distributed", "overlap", "forbid",
		"jitter", "30s", "start_at", "2027-01-01T00:00:00Z", "end_at", "2028-01-01T00:00:00Z", "exclude", "0 0 25 12 *",
		"limit", "5"); got != 1 {
		t.Errorf("hade_cron_job_info of report = %v; want 1", got)
	}
	if got := value(t, families, "hade_cron_job_info", "job", "cleanup", "type", "normal", "overlap", "", "jitter", "",
		"start_at", "", "end_at", "", "exclude", "", "limit", ""); got != 1 {
		t.Errorf("hade_cron_job_info of cleanup = %v; want 1", got)
	}
}
