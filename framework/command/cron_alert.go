package command

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/observe"
)

const (
	// alertWebhookFlag is the flag of `cron start` and `cron restart` naming a webhook (repeatable).
	alertWebhookFlag = "alert-webhook"
	// envAlertWebhooks holds comma-separated webhook URLs, used when --alert-webhook is not given.
	envAlertWebhooks = "HADE_CRON_ALERT_WEBHOOKS"
	// alertCloseTimeout bounds how long a stopping process tries to deliver the alerts still queued.
	alertCloseTimeout = 5 * time.Second
)

// registerAlertFlags adds --alert-webhook to cmd (`cron start`, `cron restart`).
func registerAlertFlags(cmd *cobra.Command) {
	cmd.Flags().StringSlice(alertWebhookFlag, nil, "POST a JSON alert to this http(s) URL when a job fails, "+
		"misses ticks or recovers; repeatable (env "+envAlertWebhooks+", comma-separated)")
}

// resolveAlertWebhooks sets cmd's webhooks from the environment when the flag was not given (nor applied
// from a running daemon's settings), without marking it given, and checks each: an error names the flag
// (or variable), the value's position and a valid example, never the value (a webhook URL holds secrets).
func resolveAlertWebhooks(cmd *cobra.Command) error {
	flag := cmd.Flags().Lookup(alertWebhookFlag)
	list, ok := flag.Value.(pflag.SliceValue)
	if !ok { // not reached: registerAlertFlags makes a string slice
		return fmt.Errorf("--%s is not a list flag", alertWebhookFlag)
	}
	source := "--" + alertWebhookFlag
	if !flag.Changed {
		var webhooks []string
		for _, raw := range strings.Split(os.Getenv(envAlertWebhooks), ",") {
			if raw = strings.TrimSpace(raw); raw != "" {
				webhooks = append(webhooks, raw)
			}
		}
		if err := list.Replace(webhooks); err != nil {
			return fmt.Errorf("%s: %w", envAlertWebhooks, err)
		}
		source = envAlertWebhooks
	}
	for i, raw := range list.GetSlice() {
		if err := alert.CheckURL(raw); err != nil {
			return fmt.Errorf("%s: webhook #%d is invalid: %v; give an absolute http or https URL, e.g. "+
				"--%s https://alerts.example.com/hade (repeat the flag for more, or set %s to a comma-separated list)",
				source, i+1, err, alertWebhookFlag, envAlertWebhooks)
		}
	}
	return nil
}

// startAlerts returns the alerter of cmd's webhooks (already resolved), reading history for recoveries of
// distributed jobs, or nil when no webhook is set.
func startAlerts(cmd *cobra.Command, logger *slog.Logger, history contract.RunHistory, secrets []string) (*alert.Alerter, error) {
	webhooks, err := cmd.Flags().GetStringSlice(alertWebhookFlag)
	if err != nil || len(webhooks) == 0 {
		return nil, nil // a command without the flag sends no alert
	}
	alerter, err := alert.New(alert.Options{URLs: webhooks, History: history, Logger: logger, Secrets: secrets})
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", alertWebhookFlag, err)
	}
	logger.Info("cron alerts on", "webhooks", strings.Split(alert.ShownURLs(strings.Join(webhooks, ",")), ","))
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
		logger.Warn("cron alerts stopped before every queued alert was posted", append(attrs, "error", err.Error())...)
		return
	}
	logger.Info("cron alerts stopped", attrs...)
}
