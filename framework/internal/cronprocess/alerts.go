package cronprocess

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/observe"
)

// alertCloseTimeout bounds how long a stopping process tries to deliver the alerts still queued.
const alertCloseTimeout = 5 * time.Second

// startAlerts returns the alerter of c.Webhooks, reading c.Backend's history for recoveries of
// distributed jobs, or nil when no webhook is set; the error names --alert-webhook.
func startAlerts(c Config) (*alert.Alerter, error) {
	if len(c.Webhooks) == 0 {
		return nil, nil
	}
	alerter, err := alert.New(alert.Options{URLs: c.Webhooks, History: c.Backend, Logger: c.Logger,
		Secrets: c.Secrets})
	if err != nil {
		return nil, fmt.Errorf("--alert-webhook: %w", err)
	}
	c.Logger.Info("cron alerts on", "webhooks", strings.Split(alert.ShownURLs(strings.Join(c.Webhooks, ",")), ","))
	return alerter, nil
}

// alertObserver returns alerter as an Observer: nil when alerter is nil.
func alertObserver(alerter *alert.Alerter) observe.Observer {
	if alerter == nil {
		return nil
	}
	return alerter
}

// stopAlerts delivers the queued alerts for up to alertCloseTimeout, stops the alerter (nil: nothing)
// and logs how many alerts were sent and lost.
func stopAlerts(alerter *alert.Alerter, logger *slog.Logger) {
	if alerter == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), alertCloseTimeout)
	defer cancel()
	err := alerter.Close(ctx)
	attrs := []any{"sent", alerter.Sent(), "lost", alerter.Lost()}
	if err != nil {
		logger.Warn("cron alerts stopped before every queued alert was posted",
			append(attrs, "error", err.Error())...)
		return
	}
	logger.Info("cron alerts stopped", attrs...)
}
