package command

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/statuspage"
	"github.com/hadeframe/hade/framework/scheduler"
)

// statusPage makes the page "/" of `cron start --http`: root's jobs and what backend (the process's
// backend, nil when it has none) keeps of them, with actions when token is set (empty:
// read-only). The error names the token's flag when the token is too short or holds white space.
func statusPage(root *console.Root, appID string, backend contract.Backend, token string, logger *slog.Logger) (http.Handler, error) {
	page, err := statuspage.New(statuspage.Config{Jobs: pageJobs(root.Scheduler.Entries()), History: backend, Registry: backend,
		Control: backend, AppID: appID, Token: token, Secrets: root.Secrets(), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--http-token (or HADE_CRON_HTTP_TOKEN): %w", err)
	}
	return page, nil
}

// pageJobs returns the status page's view of entries, in their order.
func pageJobs(entries []scheduler.Entry) []statuspage.Job {
	jobs := make([]statuspage.Job, 0, len(entries))
	for _, entry := range entries {
		jobs = append(jobs, statuspage.Job{Name: entry.Name, Type: entry.Type, Spec: entry.Spec, Zone: entry.Zone,
			Service: entry.ServiceName, Next: entry.Next})
	}
	return jobs
}

// startWeb binds the server of --http, when set, with the status page of root's jobs over backend on "/";
// the process has a backend heartbeat when backend is not nil (see cronHTTP.start).
func startWeb(cmd *cobra.Command, root *console.Root, web *cronHTTP, appID string, backend contract.Backend, logger *slog.Logger) error {
	if web == nil {
		return nil
	}
	page, err := statusPage(root, appID, backend, web.actionToken(), logger)
	if err != nil {
		return err
	}
	return web.start(cmd.Context(), logger, backend != nil, page)
}
