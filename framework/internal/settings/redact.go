package settings

import (
	"slices"

	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// Redact returns a copy of settings (as Record returns them) fit to show: a token flag set is
// secret.Mask, a backend's setting has the passwords it carries masked (secret.RedactValue), the
// webhooks are shown as alert.ShownURLs shows them, and an environment-only secret setting is
// secret.Mask.
func Redact(settings map[string]string) map[string]string {
	redacted := make(map[string]string, len(settings))
	backend, env := backendFlags(), secretEnv()
	for name, value := range settings {
		_, isBackend := backend[name]
		switch {
		case slices.Contains(tokenFlags, name) && value != "":
			value = secret.Mask
		case isBackend:
			value = secret.RedactValue(value)
		}
		if name == AlertWebhookFlag { // the secret of a webhook URL is often its path or query
			value = alert.ShownURLs(settings[name])
		}
		if _, isSecret := env[name]; isSecret {
			value = secret.Mask
		}
		redacted[name] = value
	}
	return redacted
}
