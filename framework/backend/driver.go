// Package backend is the registry of the backends that cron processes share: a backend package registers
// its Driver under a name when it is imported, the way database/sql drivers do, and the command line opens
// the one its settings name. The framework imports no backend package: an application links only the
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
	"sync"

	"github.com/hadeframe/hade/framework/contract"
)

// Driver makes the backends of one kind.
type Driver struct {
	// Settings are the backend's own settings, in the order they are shown.
	Settings []Setting
	// Open makes a backend of options; it checks that the backend answers (see Options.Wait). Its errors
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

// Options are what the command line passes to Driver.Open.
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
