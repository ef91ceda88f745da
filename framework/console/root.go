// Package console holds the root command of a hade application: a cobra command that carries the service
// container, the cron entries and the framework-wide settings (the persistent flags --base-folder,
// --distributed, the registered backends' settings, --history-max-runs, --history-max-age, --cron-tz and
// --log-level, each with its HADE_… environment variable).
package console

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/scheduler"
)

// Root is the root command of an application. It embeds the cobra command (add subcommands with
// AddCommand as usual) and holds the service container (see Container). The framework's `cron` commands
// are added by command.AddKernelCommands.
type Root struct {
	*cobra.Command

	kernel *kernel.Root
}

// NewRoot returns a root command named name, with the framework's persistent flags and a container where
// contract.AppKey and contract.BackendKey are bound. A setting that cannot be read from the environment is
// reported by Execute.
func NewRoot(name, short string) *Root {
	k := kernel.NewRoot(name, short)
	return &Root{Command: k.Command, kernel: k}
}

// Container returns the application's service container: bind the application's providers in it, and
// every command reaches it through framework.ContainerFrom(cmd.Context()). It is nil for a Root not made
// by NewRoot.
func (r *Root) Container() *framework.Container {
	if r.kernel == nil {
		return nil
	}
	return r.kernel.Container
}

// AddCronCommand registers cmd to run at every tick of spec on this process, with options
// (scheduler.WithName, WithTimeout, WithRetry; WithCatchUp is for distributed entries). A spec has 5 fields
// or 6 with seconds first, or is a descriptor (@daily, @every 90s, …), optionally prefixed by
// CRON_TZ=<zone>; it is evaluated in that zone, else in --cron-tz's or the host's, with cronie's daylight
// saving rules. cmd stays a plain command, runnable from the CLI too. The job is named after cmd unless
// WithName names it. An invalid spec or option, a nil or non-runnable cmd, or a job name that is invalid
// or already taken is a registration error, which Execute reports before running anything.
func (r *Root) AddCronCommand(spec string, cmd *cobra.Command, options ...scheduler.EntryOption) {
	r.kernel.Scheduler.AddCronCommand(spec, cmd, engineOptions(options)...)
}

// AddDistributedCronCommand registers cmd to run at every tick of spec on exactly one of the processes
// sharing the distributed backend (--distributed), with options as AddCronCommand's plus
// scheduler.WithCatchUp and WithOverlap: before each run the process claims the tick under serviceName
// (1 to 128 ASCII letters, digits, '_', '-' or '.'), within ±holdTime of it (holdTime >= 100ms; the hold
// window) by the backend's clock. "@every" specs are aligned to the Unix epoch. The job is named after
// the service unless WithName names it. Errors as AddCronCommand's, and a service registered twice, are
// reported by Execute.
func (r *Root) AddDistributedCronCommand(serviceName, spec string, cmd *cobra.Command, holdTime time.Duration,
	options ...scheduler.EntryOption) {
	r.kernel.Scheduler.AddDistributedCronCommand(serviceName, spec, cmd, holdTime, engineOptions(options)...)
}

// engineOptions returns options as the engine takes them.
func engineOptions(options []scheduler.EntryOption) []engine.EntryOption {
	converted := make([]engine.EntryOption, len(options))
	for i, option := range options {
		converted[i] = engine.EntryOption(option)
	}
	return converted
}

// Execute runs the command line (os.Args[1:], or SetArgs's) with ctx, carrying the container, as every
// command's context. When a cron registration is invalid it returns an error listing every invalid one
// before running anything, except for the framework's operations commands (`cron stop`, `cron state`, …),
// help and completion, which run after printing the list as a warning on stderr. No error it returns holds
// a password of the settings. Pass it to Exit.
func (r *Root) Execute(ctx context.Context) error { return r.kernel.Execute(ctx) }

// SetArgs sets the command line Execute runs instead of os.Args[1:], as cobra.Command.SetArgs does.
func (r *Root) SetArgs(args []string) { r.kernel.SetArgs(args) }

// OpenBackend opens a new client of the backend the settings name (--distributed and the backend's own
// settings), as the container's contract.BackendKey service is made; an app that binds its own provider to
// contract.BackendKey may wrap it. Its errors name the flags and environment variables to fix, never a
// secret; an unregistered backend's error names the registered ones and the import that adds it.
func (r *Root) OpenBackend(ctx context.Context) (contract.Backend, error) {
	return r.kernel.OpenBackend(ctx)
}
