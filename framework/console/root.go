// Package console holds the root command of a hade application: a cobra command that carries the service
// container, the cron scheduler and the framework-wide settings.
package console

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/internal/secret"
	"github.com/hadeframe/hade/framework/provider/app"
	"github.com/hadeframe/hade/framework/provider/distributed"
	"github.com/hadeframe/hade/framework/scheduler"
)

// Environment variables that give the persistent flags their defaults.
const (
	EnvBaseFolder  = "HADE_BASE_FOLDER"
	EnvDistributed = "HADE_DISTRIBUTED"
	EnvRedisURL    = "HADE_REDIS_URL"
	EnvRedisPrefix = "HADE_REDIS_PREFIX"
	EnvCronZone    = "HADE_CRON_TZ"

	EnvEtcdEndpoints      = "HADE_ETCD_ENDPOINTS"
	EnvEtcdPrefix         = "HADE_ETCD_PREFIX"
	EnvEtcdUser           = "HADE_ETCD_USER"
	EnvEtcdPassword       = "HADE_ETCD_PASSWORD" // the password: only by env (or a file), never by a flag
	EnvEtcdPasswordFile   = "HADE_ETCD_PASSWORD_FILE"
	EnvEtcdCACert         = "HADE_ETCD_CACERT"
	EnvEtcdCert           = "HADE_ETCD_CERT"
	EnvEtcdKey            = "HADE_ETCD_KEY"
	EnvEtcdDialTimeout    = "HADE_ETCD_DIAL_TIMEOUT"
	EnvEtcdRequestTimeout = "HADE_ETCD_REQUEST_TIMEOUT"
	EnvLogLevel           = "HADE_LOG_LEVEL"
)

// Settings are the framework-wide persistent flags, parsed before any command runs.
type Settings struct {
	// BaseFolder holds storage/ (flag --base-folder, env HADE_BASE_FOLDER, default ".": the working
	// directory).
	BaseFolder string
	// Distributed configures the distributed selection backend: flags --distributed (env
	// HADE_DISTRIBUTED, default "local"), --redis-url (env HADE_REDIS_URL, default
	// redis://127.0.0.1:6379/0) and --redis-prefix (env HADE_REDIS_PREFIX, default "hade:"); for etcd
	// --etcd-endpoints, --etcd-prefix, --etcd-user, --etcd-password-file, --etcd-cacert, --etcd-cert,
	// --etcd-key, --etcd-dial-timeout and --etcd-request-timeout (env HADE_ETCD_<NAME>), and the password
	// from HADE_ETCD_PASSWORD, read when the service is made (Etcd.Password stays empty here).
	Distributed distributed.Config
	// CronZone is the IANA zone of cron specs without CRON_TZ= (flag --cron-tz, env HADE_CRON_TZ, default
	// "": the host's zone, as crontab does).
	CronZone string
	// LogLevel is the lowest level the cron process logs: debug, info, warn or error (flag --log-level, env
	// HADE_LOG_LEVEL, default info). `cron start` checks it.
	LogLevel string
}

// Root is the root command of an application. It embeds the cobra command (add subcommands with
// AddCommand as usual) and holds the container, which every command reaches through
// framework.ContainerFrom(cmd.Context()), and the Scheduler with the registered cron entries
// (Scheduler.Cron and Scheduler.CronSpecs).
type Root struct {
	*cobra.Command
	Container *framework.Container
	Scheduler *scheduler.Scheduler
	Settings  *Settings

	setupErr error
	args     []string // set by SetArgs; nil: os.Args[1:]
}

// NewRoot returns a root command named name, with the persistent flags --base-folder, --distributed,
// --redis-url, --redis-prefix and --log-level, and a container with the App and Distributed providers bound.
func NewRoot(name, short string) *Root {
	settings := &Settings{}
	command := &cobra.Command{Use: name, Short: short, SilenceUsage: true, SilenceErrors: true}
	flags := command.PersistentFlags()
	flags.StringVar(&settings.BaseFolder, "base-folder", envOr(EnvBaseFolder, "."),
		"folder that holds storage/ (env "+EnvBaseFolder+")")
	flags.StringVar(&settings.Distributed.Backend, "distributed", envOr(EnvDistributed, distributed.BackendLocal),
		"distributed selection backend: local (one host), redis or etcd (env "+EnvDistributed+")")
	flags.StringVar(&settings.Distributed.RedisURL, "redis-url", envOr(EnvRedisURL, distributed.DefaultRedisURL),
		"with --distributed=redis: redis://[user:password@]host:port/db, rediss:// for TLS (env "+EnvRedisURL+")")
	// the default comes from the environment: --help shows it without its password
	flags.Lookup("redis-url").DefValue = secret.RedactURL(flags.Lookup("redis-url").DefValue)
	flags.StringVar(&settings.Distributed.RedisPrefix, "redis-prefix", envOr(EnvRedisPrefix, distributed.DefaultRedisPrefix),
		"with --distributed=redis: prefix of every key, one per application sharing a Redis (env "+EnvRedisPrefix+")")
	envErr := errors.Join(addEtcdFlags(flags, &settings.Distributed.Etcd), addHistoryFlags(flags, &settings.Distributed.History))
	flags.StringVar(&settings.CronZone, "cron-tz", os.Getenv(EnvCronZone),
		"IANA time zone of cron specs without CRON_TZ=, e.g. UTC; default the host's zone (env "+EnvCronZone+")")
	flags.StringVar(&settings.LogLevel, "log-level", envOr(EnvLogLevel, "info"),
		"lowest level the cron process logs: debug, info, warn or error (env "+EnvLogLevel+")")

	container := framework.NewContainer()
	setupErr := errors.Join(envErr,
		container.Bind(app.Provider{
			BaseFolder: func() string { return settings.BaseFolder },
			Setting:    "--base-folder or " + EnvBaseFolder,
		}),
		container.Bind(distributed.Provider{
			Config: func() distributed.Config {
				config := settings.Distributed
				config.Etcd.Password = os.Getenv(EnvEtcdPassword)
				return config
			},
			Names: distributed.Config{
				Backend:     "--distributed or " + EnvDistributed,
				RedisURL:    "--redis-url or " + EnvRedisURL,
				RedisPrefix: "--redis-prefix or " + EnvRedisPrefix,
				Etcd:        distributed.EtcdConfig{Endpoints: "--etcd-endpoints or " + EnvEtcdEndpoints},
			},
		}),
	)
	return &Root{Command: command, Container: container, Scheduler: scheduler.New(), Settings: settings, setupErr: setupErr}
}

// AddCronCommand registers cmd to run at every tick of spec on this process; see
// scheduler.Scheduler.AddCronCommand. Errors are reported by Execute.
func (r *Root) AddCronCommand(spec string, cmd *cobra.Command, options ...scheduler.EntryOption) {
	r.Scheduler.AddCronCommand(spec, cmd, options...)
}

// AddDistributedCronCommand registers cmd to run at every tick of spec on exactly one of the processes
// sharing the distributed backend, claiming each tick under serviceName with the claim window holdTime;
// see scheduler.Scheduler.AddDistributedCronCommand. Errors are reported by Execute.
func (r *Root) AddDistributedCronCommand(serviceName, spec string, cmd *cobra.Command, holdTime time.Duration,
	options ...scheduler.EntryOption) {
	r.Scheduler.AddDistributedCronCommand(serviceName, spec, cmd, holdTime, options...)
}

// Execute runs the command line (os.Args[1:], or SetArgs's) with ctx, carrying the container, as every
// command's context. When a cron registration is invalid it returns an error listing every invalid one
// before running anything, except for operations commands (see AnnotationOperation), help and completion,
// which run after printing the list as a warning on stderr. No error it returns holds the password of the
// Redis URL setting nor the etcd password. Turn the error into the process's exit status with Exit or
// ExitCode.
func (r *Root) Execute(ctx context.Context) error {
	err := r.execute(ctx)
	return secret.ScrubError(err, r.Secrets())
}

// Secrets returns the credentials of the settings, to scrub from what is shown: the password of the Redis
// URL and the etcd password (HADE_ETCD_PASSWORD).
func (r *Root) Secrets() []string {
	return append(secret.URLPasswords(r.Settings.Distributed.RedisURL), os.Getenv(EnvEtcdPassword))
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
