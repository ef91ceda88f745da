// Package backend is the registry of the backends that cron processes share: a backend package registers
// how to open it, and its settings, under a name when it is imported, the way database/sql drivers do, and
// the command line opens the one its settings name. The framework imports no backend package: an application links only the
// backends it imports, e.g.
//
//	import _ "github.com/hadeframe/hade/framework/backend/redis"
//
// The backends of the framework are local (one host), redis and etcd; backendtest checks any backend
// against the rules of package contract, and memory is their reference implementation.
package backend

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hadeframe/hade/framework/contract"
)

// Setting is one setting of a backend, a string the backend parses. The command line offers it as the flag
// --<backend>-<name> and the environment variable HADE_<BACKEND>_<NAME> (upper case, "-" as "_").
type Setting struct {
	Name    string // e.g. "url"
	Field   string // the Config field it sets, as errors name it, e.g. "redis.Config.URL"
	Default string
	Usage   string // one line for --help; {name} stands for how another setting of the backend is given
	// Secret: the value is given by the environment only, never by a flag (ps would show it), and is never
	// shown. The value of any other setting is shown with the passwords it may carry masked: a URL's
	// (scheme://user:password@host), and a libpq connection string's (password=...).
	Secret bool
}

// Options are what Open passes to a registered backend's open function.
type Options struct {
	Values    map[string]string // the value of each Setting, by name; a missing one is its Default
	Folder    string            // the application's runtime folder (storage/runtime), for backends on files
	Retention Retention         // the run history's bounds, defaults applied
	Logger    *slog.Logger      // receives the backend's own messages (outages, its client's log lines)
	// Wait: a backend that can keep trying (etcd) is returned even when it does not answer yet, its claims
	// failing (closed) until it answers; one that cannot (Redis) fails as without Wait.
	// Settings that are wrong are still an error.
	Wait bool
}

// opener opens a registered backend of options; its errors name the setting to fix by its Config field
// (e.g. redis.Config.URL), never a secret.
type opener func(ctx context.Context, options Options) (contract.Backend, error)

// registration is what Register keeps of a backend.
type registration struct {
	open     opener
	settings []Setting
}

var (
	registryMu sync.RWMutex
	registry   = map[string]registration{}
)

// Register makes the backend name available to Open: open makes one of options (it checks that the
// backend answers, see Options.Wait), and settings are the backend's own, in the order they are shown; the
// first, unless secret, says where the backend is (`cron state` shows it, without credentials). It
// panics when name is empty or already registered, or open is nil: programming errors, found when the
// program starts.
func Register(name string, open func(ctx context.Context, options Options) (contract.Backend, error),
	settings ...Setting) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup || name == "" || open == nil {
		panic(fmt.Sprintf("backend: Register of %q: empty name, no open function, or registered twice", name))
	}
	registry[name] = registration{open: open, settings: slices.Clone(settings)}
}

// Names returns the names of the registered backends, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return slices.Sorted(maps.Keys(registry))
}

// Settings returns the settings the backend name registered (a copy), nil for an unregistered name.
func Settings(name string) []Setting {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return slices.Clone(registry[name].settings)
}

// Open makes the backend registered as name with options: Values completed with the settings' defaults,
// Retention's zero fields set to the defaults of backend.Retention.WithDefaults, a nil Logger made slog.Default(). It returns an error
// naming the backend, the registered ones and the import that adds it when name is not registered, an
// error for a negative retention, and the backend's own error otherwise.
func Open(ctx context.Context, name string, options Options) (contract.Backend, error) {
	registryMu.RLock()
	backend, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("backend %q is not registered: this application registers %s; a backend of the "+
			"framework is added by importing its package, e.g. import _ \"github.com/hadeframe/hade/framework/backend/%s\"",
			name, quoteList(Names()), name)
	}
	retention, err := options.Retention.WithDefaults()
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(backend.settings))
	for _, setting := range backend.settings {
		values[setting.Name] = setting.Default
		if value, ok := options.Values[setting.Name]; ok {
			values[setting.Name] = value
		}
	}
	options.Values, options.Retention = values, retention
	if options.Logger == nil {
		options.Logger = slog.Default()
	}
	return backend.open(ctx, options)
}

// quoteList quotes names and joins them with commas; "none" when there is none.
func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = fmt.Sprintf("%q", name)
	}
	return strings.Join(quoted, ", ")
}
