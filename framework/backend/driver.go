// Package backend is the registry of the backends that cron processes share: a backend package registers
// its Driver under a name when it is imported, the way database/sql drivers do, and Open makes the backend a
// name selects. The framework imports no backend package: an application links only the backends it
// imports, e.g.
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

// Driver makes the backends of one kind.
type Driver struct {
	// Settings are the backend's own settings, in the order they are shown.
	Settings []Setting
	// Open makes a backend of options; it checks that the backend answers, unless options.Wait. Its errors
	// name the setting to fix by its Config field (e.g. redis.Config.URL), never a secret.
	Open func(ctx context.Context, options Options) (contract.Backend, error)
}

// Setting is one setting of a backend, a string the backend parses. The command line offers it as the flag
// --<backend>-<name> and the environment variable HADE_<BACKEND>_<NAME> (upper case, "-" as "_").
type Setting struct {
	Name    string // e.g. "url"
	Field   string // the Config field it sets, as errors name it, e.g. "redis.Config.URL"
	Default string
	Usage   string // one line for --help; {name} stands for how another setting of the backend is given
	// Secret: the value is given by the environment only, never by a flag (ps would show it), and is never
	// shown.
	Secret bool
	// URL: the value is a URL whose password, if any, is never shown.
	URL bool
	// Address: the value says where the backend is (shown without credentials, e.g. in `cron state`).
	Address bool
}

// Options are what Open passes to a Driver.
type Options struct {
	Values    map[string]string // the value of each Setting, by name; a missing one is its Default
	Folder    string            // the application's runtime folder (storage/runtime), for backends on files
	Retention Retention         // the run history's bounds, defaults applied
	Logger    *slog.Logger      // receives the backend's own messages (outages, its client's log lines)
	// Wait: when the backend does not answer, return it anyway: its claims fail (closed) until it answers.
	// Settings that are wrong are still an error.
	Wait bool
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes driver available under name. It panics when name is empty or already registered, or
// driver has no Open: both are programming errors, found when the program starts.
func Register(name string, driver Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[name]; dup || name == "" || driver.Open == nil {
		panic(fmt.Sprintf("backend: Register of %q: empty name, no Open, or registered twice", name))
	}
	drivers[name] = driver
}

// Drivers returns the registered drivers by name.
func Drivers() map[string]Driver {
	driversMu.RLock()
	defer driversMu.RUnlock()
	list := make(map[string]Driver, len(drivers))
	for name, driver := range drivers {
		list[name] = driver
	}
	return list
}

// Open makes the backend registered as name with options (Values completed with the defaults, Retention's
// zero fields set to DefaultRetention's, a nil Logger made slog.Default()). It returns an error naming the
// backend, the registered ones and the import that adds it when name is not registered, and the Driver's
// error otherwise.
func Open(ctx context.Context, name string, options Options) (contract.Backend, error) {
	driver, ok := Drivers()[name]
	if !ok {
		return nil, notRegistered(name)
	}
	retention, err := options.Retention.WithDefaults()
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(driver.Settings))
	for _, setting := range driver.Settings {
		values[setting.Name] = setting.Default
		if value, ok := options.Values[setting.Name]; ok {
			values[setting.Name] = value
		}
	}
	options.Values, options.Retention = values, retention
	if options.Logger == nil {
		options.Logger = slog.Default()
	}
	return driver.Open(ctx, options)
}

// notRegistered is the error of Open for an unknown name.
func notRegistered(name string) error {
	names := slices.Sorted(maps.Keys(Drivers()))
	return fmt.Errorf("backend %q is not registered: this application registers %s; a backend of the "+
		"framework is added by importing its package, e.g. import _ \"github.com/hadeframe/hade/framework/backend/%s\"",
		name, quoteList(names), name)
}

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
