package command

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/statuspage"
)

// statusPage makes the page "/" of `cron start --http`: root's jobs and what backend (the process's
// Distributed service, nil when it has none) keeps of them, with actions when token is set (empty:
// read-only). The error names the token's flag when the token is too short or holds white space.
func statusPage(root *console.Root, appID string, backend any, token string, logger *slog.Logger) (http.Handler, error) {
	history, registry := clusterStores(backend)
	control, _ := backend.(contract.JobControl)
	page, err := statuspage.New(statuspage.Config{Specs: root.Scheduler.CronSpecs, History: history,
		Registry: registry, Control: control, AppID: appID, Token: token, Secrets: root.Secrets(), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--http-token (or HADE_CRON_HTTP_TOKEN): %w", err)
	}
	return page, nil
}
