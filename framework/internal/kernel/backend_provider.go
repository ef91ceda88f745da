package kernel

import (
	"context"
	"fmt"
	"log/slog"
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
	opened, err := backend.Open(ctx, settings.Backend, backend.Options{Values: settings.backendValues(settings.Backend),
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
	if !slices.Contains(backend.Names(), name) {
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
