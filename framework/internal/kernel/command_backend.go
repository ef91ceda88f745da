package kernel

import (
	"context"
	"log/slog"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// UsesDistributed reports whether some registered cron entry is distributed (has a service name), so
// needs the backend to claim its ticks.
func (r *Root) UsesDistributed() bool {
	for _, spec := range r.Scheduler.Entries() {
		if spec.ServiceName != "" {
			return true
		}
	}
	return false
}

// ReadBackend makes the backend of the settings for a command that only reads (history, list, state):
// it creates no file, and its error has no secret. ctx carries the container (framework.ContainerFrom),
// as every command's context does.
func (r *Root) ReadBackend(ctx context.Context) (contract.Backend, error) {
	backend, err := backendService(ctx)
	if err != nil {
		return nil, secret.ScrubError(err, r.Secrets())
	}
	return backend, nil
}

// DistributedBackend makes the backend of the settings when some entry needs it (UsesDistributed), and
// returns nil otherwise. ctx carries the container.
func (r *Root) DistributedBackend(ctx context.Context) (contract.Backend, error) {
	if !r.UsesDistributed() {
		return nil, nil
	}
	return backendService(ctx)
}

// SchedulingBackend makes the backend of the settings for a process that schedules (`cron start`,
// foreground or daemon): when it does not answer yet (an etcd cluster), it is made anyway (its claims fail
// closed, logged once, and resume when it answers) instead of failing (see WaitForBackend); bad settings
// still fail. ctx carries the container.
func (r *Root) SchedulingBackend(ctx context.Context) (contract.Backend, error) {
	r.WaitForBackend()
	return backendService(ctx)
}

// ServingBackend is SchedulingBackend for the process that serves. Normal entries need no backend: when
// no entry is distributed and it cannot be made, the process runs without run history and registry: the
// error (no secret in it) is logged to logger as a warning, and the backend is nil.
func (r *Root) ServingBackend(ctx context.Context, logger *slog.Logger) (contract.Backend, error) {
	backend, err := r.SchedulingBackend(ctx)
	if err != nil && !r.UsesDistributed() {
		logger.Warn("cron: the backend of the run history and the process registry cannot be used; normal "+
			"entries run without them", "error", secret.ScrubError(err, r.Secrets()).Error())
		return nil, nil
	}
	return backend, err
}

// backendService makes the Backend service of the container ctx carries: the backend of the settings,
// which also keeps the run history and the process registry, whether or not an entry is distributed.
func backendService(ctx context.Context) (contract.Backend, error) {
	container, err := framework.ContainerFrom(ctx)
	if err != nil {
		return nil, err
	}
	return framework.MakeAs[contract.Backend](container, contract.BackendKey)
}
