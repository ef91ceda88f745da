package cronprocess

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hadeframe/hade/framework/internal/engine"
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
	return w, nil
}

// statusPage makes the page "/": c's jobs and what c.Backend (nil: none) keeps of them, with actions
// when token is set (empty: read-only). The error names the token's flag when the token is too short or
// holds white space.
func statusPage(c Config, token string) (http.Handler, error) {
	page, err := statuspage.New(statuspage.Config{Jobs: pageJobs(c.Scheduler.Entries()), History: c.Backend,
		Registry: c.Backend, Control: c.Backend, AppID: c.AppID, Token: token, Secrets: c.Secrets, Logger: c.Logger})
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
			Service: entry.ServiceName, Next: entry.Next})
	}
	return jobs
}
