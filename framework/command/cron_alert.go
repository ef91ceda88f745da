package command

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/internal/alert"
)

const (
	// alertWebhookFlag is the flag of `cron start` and `cron restart` naming a webhook (repeatable).
	alertWebhookFlag = "alert-webhook"
	// envAlertWebhooks holds comma-separated webhook URLs, used when --alert-webhook is not given.
	envAlertWebhooks = "HADE_CRON_ALERT_WEBHOOKS"
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
