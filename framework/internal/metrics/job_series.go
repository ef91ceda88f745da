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
	return o.jobs.get(job, func() *jobSeries {
		return &jobSeries{job: job,
			runs:     boundCounters{vec: o.runs, job: job},
			claims:   boundCounters{vec: o.claims, job: job},
			duration: o.duration.WithLabelValues(job), lateness: o.lateness.WithLabelValues(job)}
	})
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
	byValue cache[prometheus.Counter]
}

// get returns the counter of value, creating it on its first call.
func (b *boundCounters) get(value string) prometheus.Counter {
	return b.byValue.get(value, func() prometheus.Counter { return b.vec.WithLabelValues(b.job, value) })
}

// cache is a map filled on demand, safe for concurrent use; the zero value is empty.
type cache[V any] struct {
	mu     sync.RWMutex
	values map[string]V
}

// get returns the value of key, made by create on its first call.
func (c *cache[V]) get(key string, create func() V) V {
	c.mu.RLock()
	value, ok := c.values[key]
	c.mu.RUnlock()
	if ok {
		return value
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if value, ok := c.values[key]; ok {
		return value
	}
	if c.values == nil {
		c.values = map[string]V{}
	}
	value = create()
	c.values[key] = value
	return value
}
