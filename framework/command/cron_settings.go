package command

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// secretFlags are the flags whose values may hold credentials, with the environment variable that carries
// them to a daemon: they are never put on a daemon's command line (ps shows it) nor in a file the group
// can read, and are shown redacted.
// The backends' URL settings (e.g. --redis-url) are among them.
func secretFlags() map[string]string {
	flags, _ := kernel.SecretSettings()
	flags["http-token"], flags[alertWebhookFlag] = envCronHTTPToken, envAlertWebhooks
	return flags
}

// tokenFlags are the secret flags whose whole value is the secret (not a URL with one): shown as
// secret.Mask when set.
var tokenFlags = []string{"http-token"}

// secretEnv are the settings that are environment variables only (no flag: ps would show it), by the name
// they are recorded under: a daemon's private file keeps them, so that `cron restart` gives them to the
// new daemon, and its pidfile shows them redacted.
// They are the backends' secret settings, e.g. etcd-password (HADE_ETCD_PASSWORD).
func secretEnv() map[string]string {
	_, env := kernel.SecretSettings()
	return env
}

// notSettings are flags that say what to do now rather than how a process runs: they are not recorded as
// a process's settings, and those of stop/restart are not passed to a daemon.
var notSettings = []string{"help", "daemon", "allow-another-daemon", "ready-timeout", "timeout", "pid"}

// processSettings returns the effective value of every setting of cmd (its flags and the persistent ones,
// from the command line, the environment or the default) by flag name, the base folder absolute.
func processSettings(cmd *cobra.Command, files cronFiles) map[string]string {
	settings := map[string]string{}
	cmd.Flags().VisitAll(func(flag *pflag.Flag) {
		if !slices.Contains(notSettings, flag.Name) {
			settings[flag.Name] = flagValue(flag)
		}
	})
	if _, ok := settings["base-folder"]; ok {
		settings["base-folder"] = files.app.BaseFolder()
	}
	for name, variable := range secretEnv() {
		if value := os.Getenv(variable); value != "" {
			settings[name] = value
		}
	}
	for name, variable := range secretFlags() { // a secret flag left empty (help shows no default) takes its env
		if value, isFlag := settings[name]; isFlag && value == "" {
			settings[name] = os.Getenv(variable)
		}
	}
	return settings
}

// redactSettings returns settings with the values of secret flags redacted.
func redactSettings(settings map[string]string) map[string]string {
	redacted := make(map[string]string, len(settings))
	flags, env := secretFlags(), secretEnv()
	for name, value := range settings {
		_, isSecret := flags[name]
		switch {
		case slices.Contains(tokenFlags, name) && value != "":
			value = secret.Mask
		case isSecret && !slices.Contains(tokenFlags, name):
			value = secret.RedactURL(value)
		}
		if name == alertWebhookFlag { // the secret of a webhook URL is often its path or query
			value = alert.ShownURLs(settings[name])
		}
		if _, isSecret := env[name]; isSecret {
			value = secret.Mask
		}
		redacted[name] = value
	}
	return redacted
}

// flagValue returns a flag's value as its Set accepts it back (a list as comma-separated items).
func flagValue(flag *pflag.Flag) string {
	if list, ok := flag.Value.(pflag.SliceValue); ok {
		return strings.Join(list.GetSlice(), ",")
	}
	return flag.Value.String()
}

// daemonCommandLine returns the command line (after the program name) and the environment of a
// `cron start -d` daemon that runs with the flags set on cmd: each set flag but those of stop and restart
// goes on the command line, but a secret one, which goes in the environment; the base folder is given
// absolute.
func daemonCommandLine(cmd *cobra.Command, files cronFiles) (args, env []string) {
	args = []string{"cron", "start", "--daemon"}
	overrides := map[string]string{}
	secrets := secretFlags()
	cmd.Flags().Visit(func(flag *pflag.Flag) {
		variable, isSecret := secrets[flag.Name]
		switch {
		case isSecret:
			overrides[variable] = flagValue(flag)
		case flag.Name == "base-folder", flag.Name != "allow-another-daemon" && slices.Contains(notSettings, flag.Name):
		default:
			args = append(args, "--"+flag.Name+"="+flagValue(flag))
		}
	})
	args = append(args, "--base-folder="+files.app.BaseFolder())
	for _, variable := range os.Environ() {
		name, _, _ := strings.Cut(variable, "=")
		if _, overridden := overrides[name]; !overridden {
			env = append(env, variable)
		}
	}
	for name, value := range overrides {
		env = append(env, name+"="+value)
	}
	return args, env
}

// applySettings sets each flag of cmd not given on its command line to its value in settings (the
// settings of a running daemon), so that the daemon cmd starts runs as that one did; it returns a note per
// setting this binary does not know.
func applySettings(cmd *cobra.Command, settings map[string]string) ([]string, error) {
	var notes []string
	env := secretEnv()
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		flag := cmd.Flags().Lookup(name)
		variable, isEnv := env[name]
		switch {
		case isEnv:
			// the new daemon inherits this process's environment (see daemonCommandLine)
			if err := os.Setenv(variable, settings[name]); err != nil {
				return notes, fmt.Errorf("apply the running daemon's setting %s: %w", variable, err)
			}
		case name == "base-folder" || slices.Contains(notSettings, name):
		case flag == nil:
			notes = append(notes, fmt.Sprintf("setting --%s of the running daemon is unknown to this binary: dropped", name))
		case !flag.Changed:
			if err := cmd.Flags().Set(name, settings[name]); err != nil {
				return notes, fmt.Errorf("apply the running daemon's setting --%s: %w", name, err)
			}
		}
	}
	return notes, nil
}

// describeSettings returns the provider part of a process's (redacted) settings, e.g. `provider redis
// redis://:xxxxx@host:6379/0, key prefix "hade:"`.
func describeSettings(settings map[string]string) string {
	var text string
	switch backend := settings["distributed"]; backend {
	case "":
		text = "provider not recorded"
	case "redis":
		text = fmt.Sprintf("provider redis %s, key prefix %q", settings["redis-url"], settings["redis-prefix"])
	case "etcd":
		text = fmt.Sprintf("provider etcd %s, key prefix %q", settings["etcd-endpoints"], settings["etcd-prefix"])
		if user := settings["etcd-user"]; user != "" {
			text += ", user " + user
		}
	default:
		text = "provider " + backend
	}
	if zone := settings["cron-tz"]; zone != "" {
		text += ", cron zone " + zone
	}
	return text
}
