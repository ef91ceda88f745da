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
// value comes from the environment when the backend is opened), its default from the environment, and
// returns where each value will be, by flag name.
func addBackendFlags(flags *pflag.FlagSet) map[string]*string {
	values := map[string]*string{}
	for _, setting := range backendSettings() {
		if setting.Secret {
			continue
		}
		value := new(string)
		flags.StringVar(value, setting.flag(), envOr(setting.env(), setting.Default),
			"with --distributed="+setting.backend+": "+usage(setting)+" (env "+setting.env()+")")
		if setting.URL { // the default may come from the environment: --help shows it without its password
			flags.Lookup(setting.flag()).DefValue = secret.RedactURL(flags.Lookup(setting.flag()).DefValue)
		}
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

// SecretSettings returns the registered backends' settings that may hold credentials, by flag name (as a
// daemon's recorded settings name them), with their environment variable: urls are flags whose value is a
// URL that may carry a password; envOnly are given by the environment only.
func SecretSettings() (urls, envOnly map[string]string) {
	urls, envOnly = map[string]string{}, map[string]string{}
	for _, setting := range backendSettings() {
		switch {
		case setting.Secret:
			envOnly[setting.flag()] = setting.env()
		case setting.URL:
			urls[setting.flag()] = setting.env()
		}
	}
	return urls, envOnly
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

// BackendAddress names the backend of the settings and where it is, without credentials, e.g.
// "redis redis://10.0.0.5:6379/0" or "local": the value of the backend's first setting, unless secret (see
// backend.Register).
func (s *Settings) BackendAddress() string {
	for _, setting := range backendSettings() {
		if setting.backend != s.Backend {
			continue
		}
		if setting.Secret || s.values[setting.flag()] == nil {
			break
		}
		address := *s.values[setting.flag()]
		if setting.URL {
			address = secret.RedactURL(address)
		}
		return s.Backend + " " + address
	}
	return s.Backend
}

// secrets returns the credentials among the settings' values: the passwords in URL settings and the
// values of the secret ones.
func (s *Settings) secrets() []string {
	var found []string
	for _, setting := range backendSettings() {
		switch {
		case setting.Secret:
			found = append(found, os.Getenv(setting.env()))
		case setting.URL && s.values[setting.flag()] != nil:
			found = append(found, secret.URLPasswords(*s.values[setting.flag()])...)
		}
	}
	return found
}
