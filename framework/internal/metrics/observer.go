// Package metrics turns what a cron process's scheduler does (a observe.Observer) into Prometheus metrics,
// served by Observer.Handler on /metrics.
package metrics

import (
	"net/http"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hadeframe/hade/framework/internal/record"
)

// Buckets of the histograms, in seconds: runs take from milliseconds to hours; a tick normally starts
// within milliseconds, and seconds late means a stalled or overloaded process.
var (
	durationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
	latenessBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
)

// Observer is a observe.Observer that keeps the metrics of one cron process on its own registry (not
// Prometheus's global one). Its methods are safe for concurrent use and do not block; per job they
// cost a map look-up under a read lock and atomic updates.
type Observer struct {
	registry    *prometheus.Registry
	runs        *prometheus.CounterVec   // job, outcome
	duration    *prometheus.HistogramVec // job
	lateness    *prometheus.HistogramVec // job
	lastRun     *prometheus.GaugeVec     // job
	lastSuccess *prometheus.GaugeVec     // job
	claims      *prometheus.CounterVec   // job, result
	backendUp   *prometheus.GaugeVec     // no label: absent until the first heartbeat
	lost        prometheus.Counter
	waiting     *prometheus.GaugeVec // by job: hade_cron_buffered_ticks
	runsLeft    *prometheus.GaugeVec // by job: hade_cron_runs_remaining
	paused      *prometheus.GaugeVec // by job and note: hade_cron_job_paused

	jobs cache[*jobSeries]
}

// New returns an Observer whose registry holds the hade_cron_* metrics (see docs/observability.md), the
// process collector (process_start_time_seconds, …) and the Go runtime collector.
func New() *Observer {
	o := &Observer{
		registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hade_cron_runs_total",
			Help: "Recorded attempts of ticks by job and outcome (a gap of missed ticks counts each tick)."},
			[]string{"job", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hade_cron_run_duration_seconds",
			Help: "Duration of the attempts that ran (or tried to run) their command, by job.", Buckets: durationBuckets},
			[]string{"job"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hade_cron_run_lateness_seconds",
			Help: "How long after its tick the first attempt's command started, by job.", Buckets: latenessBuckets},
			[]string{"job"}),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_last_run_timestamp_seconds",
			Help: "Unix time at which the last settled run of the job on this process ended, whatever its outcome."},
			[]string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_last_success_timestamp_seconds",
			Help: "Unix time at which the last run of the job on this process that settled ok ended."},
			[]string{"job"}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hade_cron_claims_total",
			Help: "Claims of ticks of distributed jobs by job and result (won, held, closed, conflict, error, canceled)."},
			[]string{"job", "result"}),
		backendUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_backend_up",
			Help: "1 when the last heartbeat reached the backend, 0 when it failed; absent without a process registry."},
			nil),
		lost: prometheus.NewCounter(prometheus.CounterOpts{Name: "hade_cron_history_records_lost_total",
			Help: "Run records that could not be written to the run history."}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_buffered_ticks",
			Help: "Ticks of a job waiting in its queue (OverlapBufferOne, OverlapBufferAll), as this process last learned them."},
			[]string{"job"}),
		runsLeft: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_runs_remaining",
			Help: "Runs a job with WithLimitedRuns has left, as this process last counted them."}, []string{"job"}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_job_paused",
			Help: "1 for each paused job, its pause note as a label (cut to 200 bytes), as the last heartbeat's orders say."},
			[]string{"job", "note"}),
	}
	o.registry.MustRegister(o.runs, o.duration, o.lateness, o.lastRun, o.lastSuccess, o.claims, o.backendUp, o.lost,
		o.waiting, o.runsLeft, o.paused,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return o
}

// Handler returns the http.Handler of /metrics: the registry in Prometheus's exposition formats.
func (o *Observer) Handler() http.Handler {
	return promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{Registry: o.registry})
}

// Attempted counts the attempt by job and outcome (a gap of missed ticks by its count of ticks) and
// observes its duration and, for a first attempt, its lateness, when it ran or tried to run its command.
func (o *Observer) Attempted(run record.Run) {
	series := o.series(run.Job)
	ticks := run.Count
	if ticks < 1 {
		ticks = 1
	}
	series.runs.get(string(run.Outcome)).Add(float64(ticks))
	if !record.Ran(run.Outcome) {
		return
	}
	series.duration.Observe(run.Finished.Sub(run.Started).Seconds())
	if run.Attempt <= 1 {
		series.lateness.Observe(run.Late.Seconds())
	}
}

// Settled sets the job's last run time, and its last success time when the outcome is ok, to the end of
// the run, when the tick ran its command.
func (o *Observer) Settled(run record.Run) {
	if !record.Ran(run.Outcome) {
		return
	}
	at := float64(run.Finished.UnixNano()) / 1e9
	series := o.series(run.Job)
	series.lastRun(o).Set(at)
	if run.Outcome == "ok" {
		series.lastSuccess(o).Set(at)
	}
}

// Claimed counts the claim by job and result.
func (o *Observer) Claimed(job, result string) {
	o.series(job).claims.get(result).Inc()
}

// BackendChecked sets hade_cron_backend_up to 1 when err is nil, else 0.
func (o *Observer) BackendChecked(err error) {
	up := 1.0
	if err != nil {
		up = 0
	}
	o.backendUp.WithLabelValues().Set(up)
}

// RecordsLost adds n to hade_cron_history_records_lost_total.
func (o *Observer) RecordsLost(n int) {
	if n > 0 {
		o.lost.Add(float64(n))
	}
}

// Waiting sets hade_cron_buffered_ticks of job to ticks.
func (o *Observer) Waiting(job string, ticks int) {
	o.waiting.WithLabelValues(job).Set(float64(ticks))
}

// Paused makes hade_cron_job_paused hold exactly the jobs of notes, each with its note cut to 200 bytes.
func (o *Observer) Paused(notes map[string]string) {
	o.paused.Reset()
	for job, note := range notes {
		o.paused.WithLabelValues(job, cutNote(note)).Set(1)
	}
}

// cutNote is note cut to 200 bytes on a character boundary.
func cutNote(note string) string {
	const most = 200
	if len(note) <= most {
		return note
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut]
}

// RunsLeft sets hade_cron_runs_remaining of job to runs.
func (o *Observer) RunsLeft(job string, runs int) {
	o.runsLeft.WithLabelValues(job).Set(float64(runs))
}

// CountAlerts exports the alerts sent and lost (the alert package's counts, read at each scrape) as
// hade_cron_alerts_sent_total and hade_cron_alerts_lost_total. Call it once.
func (o *Observer) CountAlerts(sent, lost func() uint64) {
	o.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hade_cron_alerts_sent_total",
			Help: "Alerts delivered, once per webhook URL that accepted one."}, func() float64 { return float64(sent()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hade_cron_alerts_lost_total",
			Help: "Alerts that could not be delivered (queue full, retries exhausted, refused), once per webhook URL."},
			func() float64 { return float64(lost()) }))
}
