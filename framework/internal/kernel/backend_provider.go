package kernel

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// backendProvider makes the Backend service: the backend the root's settings name.
type backendProvider struct{ root *Root }

// Name returns contract.BackendKey.
func (p backendProvider) Name() string { return contract.BackendKey }

// New opens the backend of the settings (see Root.OpenBackend).
func (p backendProvider) New(container *framework.Container) (any, error) {
	app, err := framework.MakeAs[contract.App](container, contract.AppKey)
	if err != nil {
		return nil, err
	}
	return p.root.openBackend(context.Background(), app.RuntimeFolder())
}

// SetBackendLogger makes logger (nil: slog.Default()) receive the backend's own messages (outages, its
// client's log lines) once it is made; call it before.
func (r *Root) SetBackendLogger(logger *slog.Logger) { r.backendLogger = logger }

// WaitForBackend makes a backend that does not answer yet be made anyway, its claims failing (closed)
// until it answers, as a scheduling process wants; call it before the backend is made. Settings that are
// wrong are still an error.
func (r *Root) WaitForBackend() { r.backendWait = true }

// OpenBackend opens a new client of the backend the settings name (--distributed and the backend's own
// settings), as the container's Backend service is made; an app that binds its own provider to
// contract.BackendKey may wrap it. Its errors name the flags and environment variables to fix, never a
// secret; an unregistered backend's error names the registered ones and the import that adds it.
func (r *Root) OpenBackend(ctx context.Context) (contract.Backend, error) {
	app, err := framework.MakeAs[contract.App](r.Container, contract.AppKey)
	if err != nil {
		return nil, err
	}
	return r.openBackend(ctx, app.RuntimeFolder())
}

func (r *Root) openBackend(ctx context.Context, runtimeFolder string) (contract.Backend, error) {
	settings := r.Settings
	opened, err := openRegistered(ctx, settings.Backend, backend.Options{Values: settings.backendValues(settings.Backend),
		Folder: runtimeFolder, Retention: settings.History, Logger: r.backendLogger, Wait: r.backendWait})
	if err != nil {
		return nil, secret.ScrubError(withSettingNames(err, settings.Backend), r.Secrets())
	}
	return opened, nil
}

// settingNamedError is an error whose text names the flags and environment variables of the Config fields
// its cause names; errors.Is and errors.As see the cause.
type settingNamedError struct {
	text  string
	cause error
}

func (e *settingNamedError) Error() string { return e.text }
func (e *settingNamedError) Unwrap() error { return e.cause }

// withSettingNames returns err with each Config field of a setting of backend name replaced by its flag and
// environment variable, e.g. "redis.Config.URL" by "--redis-url or HADE_REDIS_URL"; for a backend that is
// not registered, err after the name of --distributed's setting.
func withSettingNames(err error, name string) error {
	if _, registered := backend.Drivers()[name]; !registered {
		return fmt.Errorf("--distributed or %s: %w", envDistributed, err)
	}
	text := err.Error()
	for _, setting := range backendSettings() {
		if setting.backend == name {
			text = strings.ReplaceAll(text, setting.Field, setting.where())
		}
	}
	return &settingNamedError{text: text, cause: err}
}

// openRegistered makes the backend registered as name with options (Values completed with the defaults,
// Retention's zero fields set to DefaultRetention's, a nil Logger made slog.Default()). It returns an
// error naming the backend, the registered ones and the import that adds it when name is not registered,
// and the Driver's error otherwise.
func openRegistered(ctx context.Context, name string, options backend.Options) (contract.Backend, error) {
	driver, ok := backend.Drivers()[name]
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

// notRegistered is the error of openRegistered for an unknown name.
func notRegistered(name string) error {
	names := slices.Sorted(maps.Keys(backend.Drivers()))
	return fmt.Errorf("backend %q is not registered: this application registers %s; a backend of the "+
		"framework is added by importing its package, e.g. import _ \"github.com/hadeframe/hade/framework/backend/%s\"",
		name, quoteList(names), name)
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
