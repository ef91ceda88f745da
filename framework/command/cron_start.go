package command

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/cronprocess"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/logbuffer"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/settings"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// startOptions are the flags of `cron start` (and of `cron restart`, which starts a daemon).
type startOptions struct {
	daemon       bool
	another      bool // --allow-another-daemon
	drainTimeout time.Duration
	readyTimeout time.Duration
}

func (o *startOptions) register(cmd *cobra.Command, withDaemonFlag bool) {
	if withDaemonFlag {
		cmd.Flags().BoolVarP(&o.daemon, "daemon", "d", false, "run in the background: pidfile in storage/runtime, logs in storage/log")
		cmd.Flags().BoolVar(&o.another, "allow-another-daemon", false, "with -d: start although a daemon already runs in this base folder")
	}
	cmd.Flags().DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Second, "on a stop, how long to wait for running jobs before exiting")
	cmd.Flags().DurationVar(&o.readyTimeout, "ready-timeout", 10*time.Second, "with a daemon: how long the parent waits for the daemon to be up")
	registerHTTPFlags(cmd)
	registerAlertFlags(cmd) // --alert-webhook, cron_alert.go
}

func newCronStartCommand(root *kernel.Root) *cobra.Command {
	options := &startOptions{}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start the cron scheduler in the foreground, or as a daemon with -d",
		Long: `Start the cron scheduler. In the foreground it logs one JSON line per run to stdout and stops on
SIGINT, SIGTERM or SIGHUP, waiting up to --drain-timeout for running jobs. With -d it starts a daemon and
returns once the daemon is up, printing its pid and log files; the daemon stops on SIGINT or SIGTERM and
reopens its log files on SIGHUP. Under systemd (NOTIFY_SOCKET set) it sends READY=1 once the scheduler
runs and STOPPING=1 when it stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level, err := cronprocess.ParseLogLevel(root.Settings.LogLevel)
			if err != nil {
				return err
			}
			if err := resolveAlertWebhooks(cmd); err != nil {
				return err
			}
			switch {
			case daemon.IsStarted():
				return runDaemonChild(cmd, root, options, level)
			case options.daemon:
				newCronLogger(root, cmd.ErrOrStderr(), level) // go-redis's messages while the services are checked
				return startDaemon(cmd, root, *options)
			default:
				return serveForeground(cmd, root, options, level)
			}
		},
	}
	options.register(cmd, true)
	return cmd
}

// serveForeground serves with the structured log on stdout, through a buffer written at least every
// 100ms (logbuffer) and at the end.
func serveForeground(cmd *cobra.Command, root *kernel.Root, options *startOptions, level slog.Level) error {
	buffer := logbuffer.New(cmd.OutOrStdout(), logbuffer.DefaultInterval)
	err := serve(cmd, root, serving{mode: pidfile.ModeForeground, logPath: "stdout",
		logger: newCronLogger(root, buffer, level), drainTimeout: options.drainTimeout})
	return errors.Join(err, buffer.Close())
}

// serving says how serve runs.
type serving struct {
	mode         string // pidfile.ModeForeground or pidfile.ModeDaemon, recorded in the pidfile
	logPath      string // where logger writes, recorded in the pidfile
	logger       *slog.Logger
	output       io.Writer // where runs' output goes, each line with its job and tick; nil: the command's
	drainTimeout time.Duration
	allowAnother bool   // --allow-another-daemon: a daemon starts although another runs
	onHangup     func() // what SIGHUP does; nil: SIGHUP stops the process
}

// serve runs the scheduler in this process until a stop (cronprocess.Serve) with the settings of cmd: it
// reads --http, applies the cron zone and makes the backend first, and closes the backend once the
// process stopped.
func serve(cmd *cobra.Command, root *kernel.Root, s serving) (err error) {
	web, err := newCronHTTP(cmd)
	if err != nil {
		return err
	}
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	if err := root.ApplyCronZone(); err != nil {
		return err
	}
	backend, err := root.ServingBackend(cmd.Context(), s.logger)
	if err != nil {
		return err
	}
	if backend != nil {
		defer func() { err = errors.Join(err, backend.Close()) }()
	}
	process, err := s.process(cmd, root, files, backend, web)
	if err != nil {
		return err
	}
	return cronprocess.Serve(cmd.Context(), process)
}

// process returns what the process of s runs with: cmd's settings (its webhooks already resolved, see
// resolveAlertWebhooks), root's scheduler and secrets, and backend (nil: none) and web (nil: no --http).
func (s serving) process(cmd *cobra.Command, root *kernel.Root, files supervisor.Files,
	backend contract.Backend, web *cronprocess.HTTP) (cronprocess.Config, error) {
	webhooks, err := cmd.Flags().GetStringSlice(settings.AlertWebhookFlag)
	if err != nil {
		return cronprocess.Config{}, err
	}
	acquire := func() (*pidfile.Pidfile, error) {
		return supervisor.Acquire(files, supervisor.Process{Mode: s.mode, Log: s.logPath,
			Settings: settings.Record(cmd.Flags(), files.App.BaseFolder()), AllowAnother: s.allowAnother})
	}
	return cronprocess.Config{Scheduler: root.Scheduler, Backend: backend, AppID: files.App.AppID(),
		BaseFolder: files.App.BaseFolder(), Provider: root.Settings.BackendAddress(), Secrets: root.Secrets(),
		Mode: s.mode, Settings: describeOwnSettings(cmd, files), Logger: s.logger,
		Output: s.output, DrainTimeout: s.drainTimeout, OnHangup: s.onHangup, Pidfiles: files.Pidfiles,
		Pidfile: acquire, HTTP: web, Webhooks: webhooks}, nil
}
