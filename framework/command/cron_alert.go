package command

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/settings"
)

// registerAlertFlags adds --alert-webhook to cmd (`cron start`, `cron restart`).
func registerAlertFlags(cmd *cobra.Command) {
	cmd.Flags().StringSlice(settings.AlertWebhookFlag, nil, "POST a JSON alert to this http(s) URL when a job "+
		"fails, misses ticks or recovers; repeatable (env "+settings.EnvAlertWebhooks+", comma-separated)")
}

// resolveAlertWebhooks sets cmd's webhooks from the environment when the flag was not given (nor applied
// from a running daemon's settings), without marking it given, and checks each: an error names the flag
// (or variable), the value's position and a valid example, never the value (a webhook URL holds secrets).
func resolveAlertWebhooks(cmd *cobra.Command) error {
	flag := cmd.Flags().Lookup(settings.AlertWebhookFlag)
	list, ok := flag.Value.(pflag.SliceValue)
	if !ok { // not reached: registerAlertFlags makes a string slice
		return fmt.Errorf("--%s is not a list flag", settings.AlertWebhookFlag)
	}
	source := "--" + settings.AlertWebhookFlag
	if !flag.Changed {
		var webhooks []string
		for _, raw := range strings.Split(os.Getenv(settings.EnvAlertWebhooks), ",") {
			if raw = strings.TrimSpace(raw); raw != "" {
				webhooks = append(webhooks, raw)
			}
		}
		if err := list.Replace(webhooks); err != nil {
			return fmt.Errorf("%s: %w", settings.EnvAlertWebhooks, err)
		}
		source = settings.EnvAlertWebhooks
	}
	for i, raw := range list.GetSlice() {
		if err := alert.CheckURL(raw); err != nil {
			return fmt.Errorf("%s: webhook #%d is invalid: %v; give an absolute http or https URL, e.g. "+
				"--%s https://alerts.example.com/hade (repeat the flag for more, or set %s to a comma-separated list)",
				source, i+1, err, settings.AlertWebhookFlag, settings.EnvAlertWebhooks)
		}
	}
	return nil
}
