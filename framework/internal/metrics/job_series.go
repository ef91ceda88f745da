package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// jobSeries caches the children of the Observer's metrics bound to one job, so that the per-run path does
// not hash label values: the histograms exist from the job's first record, the timestamp gauges only once
// set (a gauge at 0 would read as a run in 1970).
type jobSeries struct {
	job                string
	runs, claims       boundCounters // by outcome, by result
	duration, lateness prometheus.Observer

	mu                             sync.Mutex
	lastRunGauge, lastSuccessGauge prometheus.Gauge
}

// series returns the cached series of job, creating them on its first call.
func (o *Observer) series(job string) *jobSeries {
	o.mu.RLock()
	series, ok := o.jobs[job]
	o.mu.RUnlock()
	if ok {
		return series
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if series, ok := o.jobs[job]; ok {
		return series
	}
	series = &jobSeries{job: job,
		runs:     boundCounters{vec: o.runs, job: job, byValue: map[string]prometheus.Counter{}},
		claims:   boundCounters{vec: o.claims, job: job, byValue: map[string]prometheus.Counter{}},
		duration: o.duration.WithLabelValues(job), lateness: o.lateness.WithLabelValues(job)}
	o.jobs[job] = series
	return series
}

func (s *jobSeries) lastRun(o *Observer) prometheus.Gauge {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastRunGauge == nil {
		s.lastRunGauge = o.lastRun.WithLabelValues(s.job)
	}
	return s.lastRunGauge
}

func (s *jobSeries) lastSuccess(o *Observer) prometheus.Gauge {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastSuccessGauge == nil {
		s.lastSuccessGauge = o.lastSuccess.WithLabelValues(s.job)
	}
	return s.lastSuccessGauge
}

// boundCounters caches the children of a counter vector with labels (job, value) for one job, by value.
type boundCounters struct {
	vec     *prometheus.CounterVec
	job     string
	mu      sync.RWMutex
	byValue map[string]prometheus.Counter
}

// get returns the counter of value, creating it on its first call.
func (b *boundCounters) get(value string) prometheus.Counter {
	b.mu.RLock()
	counter, ok := b.byValue[value]
	b.mu.RUnlock()
	if ok {
		return counter
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if counter, ok := b.byValue[value]; ok {
		return counter
	}
	counter = b.vec.WithLabelValues(b.job, value)
	b.byValue[value] = counter
	return counter
}
