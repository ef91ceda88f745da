package cronprocess

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/metrics"
	"github.com/hadeframe/hade/framework/internal/report"
	"github.com/hadeframe/hade/framework/internal/statuspage"
)

// startWeb binds the server of c.HTTP, when set, with the status page of c's jobs on "/", and returns
// it; nil without c.HTTP. The process has a backend heartbeat when c.Backend is not nil (see web.start).
func startWeb(ctx context.Context, c Config) (*web, error) {
	if c.HTTP == nil {
		return nil, nil
	}
	page, err := statusPage(c, c.HTTP.Token)
	if err != nil {
		return nil, err
	}
	w := &web{config: *c.HTTP}
	if err := w.start(ctx, c.Logger, c.Backend != nil, page); err != nil {
		return nil, err
	}
	w.metrics.DescribeJobs(jobInfos(c.Scheduler.Entries()))
	return w, nil
}

// jobInfos returns what hade_cron_job_info says of entries, in their order.
func jobInfos(entries []engine.Entry) []metrics.JobInfo {
	infos := make([]metrics.JobInfo, 0, len(entries))
	for _, entry := range entries {
		info := metrics.JobInfo{Job: entry.Name, Type: entry.Type, Overlap: entry.Overlap,
			Exclude: strings.Join(entry.Exclude, "; ")}
		if entry.Jitter > 0 {
			info.Jitter = entry.Jitter.String()
		}
		if entry.Limit > 0 {
			info.Limit = strconv.Itoa(entry.Limit)
		}
		if !entry.StartAt.IsZero() {
			info.StartAt = entry.StartAt.UTC().Format(time.RFC3339Nano)
		}
		if !entry.EndAt.IsZero() {
			info.EndAt = entry.EndAt.UTC().Format(time.RFC3339Nano)
		}
		infos = append(infos, info)
	}
	return infos
}

// statusPage makes the page "/": c's jobs and what c.Backend (nil: none) keeps of them, with actions
// when token is set (empty: read-only). The error names the token's flag when the token is too short or
// holds white space.
func statusPage(c Config, token string) (http.Handler, error) {
	page, err := statuspage.New(statuspage.Config{Jobs: pageJobs(c.Scheduler.Entries()), History: c.Backend,
		Registry: c.Backend, Control: c.Backend, Leases: c.Backend, AppID: c.AppID, Token: token, Secrets: c.Secrets, Logger: c.Logger})
	if err != nil {
		return nil, fmt.Errorf("--http-token (or HADE_CRON_HTTP_TOKEN): %w", err)
	}
	return page, nil
}

// pageJobs returns the status page's view of entries, in their order.
func pageJobs(entries []engine.Entry) []statuspage.Job {
	jobs := make([]statuspage.Job, 0, len(entries))
	for _, entry := range entries {
		jobs = append(jobs, statuspage.Job{Name: entry.Name, Type: entry.Type, Spec: entry.Spec, Zone: entry.Zone,
			Service: entry.ServiceName, Options: report.EntryOptions(entry), Limit: entry.Limit, Next: entry.Next})
	}
	return jobs
}
