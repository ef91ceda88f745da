package metrics

import "github.com/prometheus/client_golang/prometheus"

// JobInfo is what hade_cron_job_info says of one registered job: its labels, each "" when not set.
type JobInfo struct {
	Job, Type string
	Overlap   string // distributed jobs: the overlap policy, e.g. "forbid", "buffer_all"
	Jitter    string // WithJitter's max as a Go duration, e.g. "30s"
	StartAt   string // WithStartAt's start, RFC 3339
	EndAt     string // WithEndAt's end, RFC 3339
	Exclude   string // WithExclude's specs, joined by "; "
	Limit     string // WithLimitedRuns's number of runs, e.g. "5"
}

// DescribeJobs exports hade_cron_job_info: 1 for each of jobs, its options as labels (see JobInfo), so a
// query can join them with the other series on job. Call it once.
func (o *Observer) DescribeJobs(jobs []JobInfo) {
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hade_cron_job_info",
		Help: "1 for each job registered in this process; its type and run options as labels."},
		[]string{"job", "type", "overlap", "jitter", "start_at", "end_at", "exclude", "limit"})
	for _, job := range jobs {
		info.WithLabelValues(job.Job, job.Type, job.Overlap, job.Jitter, job.StartAt, job.EndAt, job.Exclude,
			job.Limit).Set(1)
	}
	o.registry.MustRegister(info)
}
