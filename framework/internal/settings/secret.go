package settings

import (
	"github.com/hadeframe/hade/framework/internal/kernel"
)

// The secret flags of `cron start` and `cron restart` beside the backends' settings, with the environment
// variable each is read from when not given and that carries it to a daemon.
const (
	// HTTPTokenFlag is the token the status page's actions require: its whole value is the secret.
	HTTPTokenFlag = "http-token"
	// EnvHTTPToken holds the token when --http-token is empty.
	EnvHTTPToken = "HADE_CRON_HTTP_TOKEN"
	// AlertWebhookFlag names a webhook (repeatable): the secret of a webhook URL is often its path or query.
	AlertWebhookFlag = "alert-webhook"
	// EnvAlertWebhooks holds comma-separated webhook URLs, used when --alert-webhook is not given.
	EnvAlertWebhooks = "HADE_CRON_ALERT_WEBHOOKS"
)

// secretFlags are the flags whose values may hold credentials, with the environment variable that carries
// them to a daemon: they are never put on a daemon's command line (ps shows it) nor in a file the group
// can read, and are shown redacted. They are the backends' settings given by flag (backendFlags) and
// ownSecretFlags.
func secretFlags() map[string]string {
	flags := backendFlags()
	for name, variable := range ownSecretFlags {
		flags[name] = variable
	}
	return flags
}

// backendFlags are the backends' settings given by flag (e.g. --redis-url, --etcd-endpoints), with their
// environment variable: any value may carry a password (a URL's, a connection string's), shown through
// secret.RedactValue. A flag's default is read from its variable.
func backendFlags() map[string]string {
	flags, _ := kernel.SecretSettings()
	return flags
}

// ownSecretFlags are the secret flags of start and restart, whose defaults are not read from their
// variables (--help shows none): the variable is read when the flag is left empty.
var ownSecretFlags = map[string]string{HTTPTokenFlag: EnvHTTPToken, AlertWebhookFlag: EnvAlertWebhooks}

// tokenFlags are the secret flags whose whole value is the secret (not a URL with one): shown as
// secret.Mask when set.
var tokenFlags = []string{HTTPTokenFlag}

// secretEnv are the settings that are environment variables only (no flag: ps would show it), by the name
// they are recorded under: a daemon's private file keeps them, so that `cron restart` gives them to the
// new daemon, and its pidfile shows them redacted.
// They are the backends' secret settings, e.g. etcd-password (HADE_ETCD_PASSWORD).
func secretEnv() map[string]string {
	_, env := kernel.SecretSettings()
	return env
}
