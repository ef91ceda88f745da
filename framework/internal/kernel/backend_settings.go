package kernel

import (
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// backendSetting is one setting of a registered backend, as the command line offers it.
type backendSetting struct {
	backend string
	backend.Setting
}

// flag is the setting's flag name, e.g. redis-url.
func (s backendSetting) flag() string { return s.backend + "-" + s.Name }

// env is the setting's environment variable, e.g. HADE_REDIS_URL.
func (s backendSetting) env() string {
	return "HADE_" + strings.ToUpper(strings.ReplaceAll(s.flag(), "-", "_"))
}

// where names how the setting is given, for messages: "--redis-url or HADE_REDIS_URL".
func (s backendSetting) where() string {
	if s.Secret {
		return s.env()
	}
	return "--" + s.flag() + " or " + s.env()
}

// backendSettings returns the settings of the registered backends, by backend name then in each backend's
// order.
func backendSettings() []backendSetting {
	var settings []backendSetting
	for _, name := range backend.Names() {
		for _, setting := range backend.Settings(name) {
			settings = append(settings, backendSetting{backend: name, Setting: setting})
		}
	}
	return settings
}

// addBackendFlags adds a flag for every setting of the registered backends but the secret ones (their
// value comes from the environment when the backend is opened), its default from the environment, shown
// by --help without a password (secret.RedactValue), and returns where each value will be, by flag name.
func addBackendFlags(flags *pflag.FlagSet) map[string]*string {
	values := map[string]*string{}
	for _, setting := range backendSettings() {
		if setting.Secret {
			continue
		}
		value := new(string)
		flags.StringVar(value, setting.flag(), envOr(setting.env(), setting.Default),
			"with --distributed="+setting.backend+": "+usage(setting)+" (env "+setting.env()+")")
		// the default may come from the environment, and any value may carry a password (a URL's, a
		// connection string's): --help shows it without
		flags.Lookup(setting.flag()).DefValue = secret.RedactValue(flags.Lookup(setting.flag()).DefValue)
		values[setting.flag()] = value
	}
	return values
}

// usage is setting's Usage with each {name} of a setting of its backend replaced by how it is given, e.g.
// {password} by HADE_ETCD_PASSWORD.
func usage(setting backendSetting) string {
	text := setting.Usage
	for _, other := range backendSettings() {
		if other.backend == setting.backend {
			name := other.flag()
			if !other.Secret {
				name = "--" + name
			} else {
				name = other.env()
			}
			text = strings.ReplaceAll(text, "{"+other.Name+"}", name)
		}
	}
	return text
}

// SecretSettings returns the registered backends' settings, which may all hold credentials, by flag name
// (as a daemon's recorded settings name them), with their environment variable: flags are the settings
// given by flag, any of whose values may carry a password (a URL's, a connection string's: shown through
// secret.RedactValue); envOnly are the secret ones, given by the environment only.
func SecretSettings() (flags, envOnly map[string]string) {
	flags, envOnly = map[string]string{}, map[string]string{}
	for _, setting := range backendSettings() {
		if setting.Secret {
			envOnly[setting.flag()] = setting.env()
		} else {
			flags[setting.flag()] = setting.env()
		}
	}
	return flags, envOnly
}

// backendValues returns the values of the settings of the backend name: the flags' values, and the secret
// settings from the environment.
func (s *Settings) backendValues(name string) map[string]string {
	values := map[string]string{}
	for _, setting := range backendSettings() {
		if setting.backend != name {
			continue
		}
		if setting.Secret {
			if value, ok := os.LookupEnv(setting.env()); ok {
				values[setting.Name] = value
			}
		} else if value, ok := s.values[setting.flag()]; ok {
			values[setting.Name] = *value
		}
	}
	return values
}

// BackendAddress names the backend of the settings and where it is, without credentials
// (secret.RedactValue), e.g. "redis redis://10.0.0.5:6379/0" or "local": the value of the backend's first
// setting, unless secret (see backend.Register).
func (s *Settings) BackendAddress() string {
	for _, setting := range backendSettings() {
		if setting.backend != s.Backend {
			continue
		}
		if setting.Secret || s.values[setting.flag()] == nil {
			break
		}
		return s.Backend + " " + secret.RedactValue(*s.values[setting.flag()])
	}
	return s.Backend
}

// secrets returns the credentials among the settings' values: the values of the secret ones, and the
// passwords the others carry (secret.ValuePasswords).
func (s *Settings) secrets() []string {
	var found []string
	for _, setting := range backendSettings() {
		switch {
		case setting.Secret:
			found = append(found, os.Getenv(setting.env()))
		case s.values[setting.flag()] != nil:
			found = append(found, secret.ValuePasswords(*s.values[setting.flag()])...)
		}
	}
	return found
}
