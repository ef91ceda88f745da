// Package kernel is what the framework's commands share with console.Root, the root command of a hade
// application: the cobra command, the service container, the cron scheduler, the framework-wide settings,
// the opening of the backend they name, and the exit statuses. console.NewRoot makes a Root; the commands
// of package command find it in the root's container (Of).
package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/provider/app"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// Environment variables that give the persistent flags their defaults.
const (
	envBaseFolder  = "HADE_BASE_FOLDER"
	envDistributed = "HADE_DISTRIBUTED"
	envCronZone    = "HADE_CRON_TZ"
	envLogLevel    = "HADE_LOG_LEVEL"
)

// Settings are the framework-wide persistent flags, parsed before any command runs.
type Settings struct {
	// BaseFolder holds storage/ (flag --base-folder, env HADE_BASE_FOLDER, default ".": the working
	// directory).
	BaseFolder string
	// Backend names the registered backend the cron processes share (flag --distributed, env
	// HADE_DISTRIBUTED, default "local"). Each registered backend's settings are flags
	// --<backend>-<setting> (env HADE_<BACKEND>_<SETTING>), e.g. --redis-url; a secret one is an
	// environment variable only, e.g. HADE_ETCD_PASSWORD, read when the backend is opened.
	Backend string
	// History bounds the run history (flags --history-max-runs and --history-max-age, env
	// HADE_HISTORY_MAX_RUNS and HADE_HISTORY_MAX_AGE; defaults the defaults of backend.Retention.WithDefaults).
	History backend.Retention
	// CronZone is the IANA zone of cron specs without CRON_TZ= (flag --cron-tz, env HADE_CRON_TZ, default
	// "": the host's zone, as crontab does).
	CronZone string
	// LogLevel is the lowest level the cron process logs: debug, info, warn or error (flag --log-level, env
	// HADE_LOG_LEVEL, default info). `cron start` checks it.
	LogLevel string

	values map[string]*string // the backends' settings but the secret ones, by flag name
}

// Root is the root command of an application as the framework's commands see it: the cobra command, the
// container (bound to Key in it), the Scheduler with the registered cron entries, and the Settings.
type Root struct {
	*cobra.Command
	Container *framework.Container
	Scheduler *engine.Scheduler
	Settings  *Settings

	setupErr      error
	args          []string     // set by SetArgs; nil: os.Args[1:]
	backendLogger *slog.Logger // see SetBackendLogger
	backendWait   bool         // see WaitForBackend
}

// NewRoot returns a root command named name, with the persistent flags --base-folder, --distributed and
// the settings of every registered backend, --history-max-runs, --history-max-age, --cron-tz and
// --log-level, and a container with the App and Backend providers bound.
func NewRoot(name, short string) *Root {
	settings := &Settings{}
	command := &cobra.Command{Use: name, Short: short, SilenceUsage: true, SilenceErrors: true}
	flags := command.PersistentFlags()
	flags.StringVar(&settings.BaseFolder, "base-folder", envOr(envBaseFolder, "."),
		"folder that holds storage/ (env "+envBaseFolder+")")
	flags.StringVar(&settings.Backend, "distributed", envOr(envDistributed, "local"),
		"backend the cron processes share: "+registeredBackends()+" (env "+envDistributed+")")
	settings.values = addBackendFlags(flags)
	envErr := addHistoryFlags(flags, &settings.History)
	flags.StringVar(&settings.CronZone, "cron-tz", os.Getenv(envCronZone),
		"IANA time zone of cron specs without CRON_TZ=, e.g. UTC; default the host's zone (env "+envCronZone+")")
	flags.StringVar(&settings.LogLevel, "log-level", envOr(envLogLevel, "info"),
		"lowest level the cron process logs: debug, info, warn or error (env "+envLogLevel+")")

	container := framework.NewContainer()
	root := &Root{Command: command, Container: container, Scheduler: engine.New(), Settings: settings}
	root.setupErr = errors.Join(envErr,
		container.Bind(app.Provider{
			BaseFolder: func() string { return settings.BaseFolder },
			Setting:    "--base-folder or " + envBaseFolder,
		}),
		container.Bind(backendProvider{root: root}),
		container.Bind(selfProvider{root: root}),
	)
	return root
}

// registeredBackends lists the registered backends for --help, e.g. "local, redis or etcd".
func registeredBackends() string {
	names := backend.Names()
	switch len(names) {
	case 0:
		return "none is registered"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Execute runs the command line (os.Args[1:], or SetArgs's) with ctx, carrying the container, as every
// command's context. When a cron registration is invalid it returns an error listing every invalid one
// before running anything, except for operations commands (see AnnotationOperation), help and completion,
// which run after printing the list as a warning on stderr. No error it returns holds a password a
// backend's setting carries (e.g. --redis-url's) nor a secret setting (e.g. the etcd password). Turn the
// error into the process's exit status with Exit or ExitCode.
func (r *Root) Execute(ctx context.Context) error {
	err := r.execute(ctx)
	return secret.ScrubError(err, r.Secrets())
}

// Secrets returns the credentials of the settings, to scrub from what is shown: the passwords the
// backends' settings carry (e.g. --redis-url's, secret.ValuePasswords) and the values of secret ones (e.g.
// HADE_ETCD_PASSWORD).
func (r *Root) Secrets() []string {
	return r.Settings.secrets()
}

func (r *Root) execute(ctx context.Context) error {
	if err := r.setupErr; err != nil {
		return fmt.Errorf("set up the root command: %w", err)
	}
	if err := r.Scheduler.Err(); err != nil {
		run, warn := r.runsWithInvalidRegistrations()
		if !run {
			return fmt.Errorf("invalid cron registrations, nothing was run:\n%w", err)
		}
		if warn {
			fmt.Fprintf(r.ErrOrStderr(), "Warning: invalid cron registrations: `cron start` and the "+
				"application's commands refuse to run until they are fixed:\n%v\n", err)
		}
	}
	return r.Command.ExecuteContext(framework.WithContainer(ctx, r.Container))
}

func envOr(name, fallback string) string {
	if value, ok := os.LookupEnv(name); ok && value != "" {
		return value
	}
	return fallback
}
