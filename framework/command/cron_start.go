package command

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/observe"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/secret"
	"github.com/hadeframe/hade/framework/scheduler"
)

// startOptions are the flags of `cron start` (and of `cron restart`, which starts a daemon).
type startOptions struct {
	daemon       bool
	another      bool // --allow-another-daemon, read by acquirePidfile and checkOneDaemon
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

func newCronStartCommand(root *console.Root) *cobra.Command {
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
			level, err := parseLogLevel(root.Settings.LogLevel)
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
				return startDaemon(cmd, root, options.readyTimeout)
			default:
				return serve(cmd, root, serving{mode: pidfile.ModeForeground, logPath: "stdout",
					logger: newCronLogger(root, cmd.OutOrStdout(), level), drainTimeout: options.drainTimeout})
			}
		},
	}
	options.register(cmd, true)
	return cmd
}

// serving says how serve runs.
type serving struct {
	mode         string // pidfile.ModeForeground or pidfile.ModeDaemon, recorded in the pidfile
	logPath      string // where logger writes, recorded in the pidfile
	logger       *slog.Logger
	output       io.Writer // where runs' output goes, each line with its job and tick; nil: the command's
	drainTimeout time.Duration
	onHangup     func() // what SIGHUP does; nil: SIGHUP stops the process
}

// backend makes the backend of the settings. Normal entries need none: when no entry is distributed and
// it cannot be made, the process runs without run history and registry (logged), and backend is nil.
func (s serving) backend(cmd *cobra.Command, root *console.Root) (contract.Backend, error) {
	backend, err := schedulingService(cmd, root)
	if err != nil && !usesDistributed(root) {
		s.logger.Warn("cron: the backend of the run history and the process registry cannot be used; normal entries run without them",
			"error", secret.ScrubError(err, root.Secrets()).Error())
		return nil, nil
	}
	return backend, err
}

// processUmask is the file mode creation mask of every cron process, foreground or daemon, so that both
// create files (theirs and their jobs') with the same permissions: no access for others.
const processUmask = 0o027

// serve runs the scheduler in this process until SIGINT, SIGTERM, SIGHUP (unless s.onHangup handles it) or
// the end of cmd's context: it checks the services, binds the server of --http when set (cron_http.go), takes
// this process's pidfile, starts the scheduler, tells systemd it is ready (when NOTIFY_SOCKET is set), and on
// a stop logs its reason, stops the scheduler, waits for the running jobs up to s.drainTimeout, releases the
// pidfile and stops the server.
func serve(cmd *cobra.Command, root *console.Root, s serving) (err error) {
	web, err := newCronHTTP(cmd)
	if err != nil {
		return err
	}
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	if err := applyCronZone(root); err != nil {
		return err
	}
	backend, err := s.backend(cmd, root)
	if err != nil {
		return err
	}
	if backend != nil {
		defer func() { err = errors.Join(err, backend.Close()) }()
	}
	syscall.Umask(processUmask)
	// before the pidfile, which tells others this process is up
	stopped, stopSignals := daemon.NotifySignals(cmd.Context(), s.onHangup)
	defer stopSignals()
	if _, err := files.pidfiles.RemoveStale(); err != nil {
		return err
	}
	if err := startWeb(cmd, root, web, files.app.AppID(), backend, s.logger); err != nil { // before the pidfile: a daemon fails its start
		return err
	}
	defer web.stop(s.logger)
	pid, err := acquirePidfile(cmd, files, s.mode, s.logPath)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pid.Release()) }()
	return s.run(cmd, root, files, backend, web, stopped, pid.Path())
}

// run starts the alerts and the scheduler over the shared backend, waits for a stop (signals, or the end of cmd's
// context), drains the scheduler, then stops the alerts.
func (s serving) run(cmd *cobra.Command, root *console.Root, files cronFiles, backend contract.Backend,
	web *cronHTTP, stopped context.Context, pidPath string) error {
	alerter, err := startAlerts(cmd, s.logger, backend, root.Secrets())
	if err != nil {
		return err
	}
	defer stopAlerts(alerter, s.logger) // after the scheduler stopped: its last alerts are posted
	web.countAlerts(alerter)
	env := scheduler.Environment{Context: cmd.Context(), Logger: s.logger, AppID: files.app.AppID(),
		Backend: backend, Output: s.output, Process: processRecord(root, files),
		Observer: observe.Join(web.observer(), alertObserver(alerter))}
	settings := describeSettings(redactSettings(processSettings(cmd, files))) // before runs touch the flag sets
	if err := root.Scheduler.Start(env); err != nil {
		return err
	}
	s.logger.Info("cron started", "pid", os.Getpid(), "app_id", files.app.AppID(), "mode", s.mode,
		"entries", len(root.Scheduler.Entries()), "pidfile", pidPath, "settings", settings)
	web.started()
	daemon.NotifyReady(s.logger)
	<-stopped.Done()
	reason := context.Cause(stopped).Error()
	web.stopping()
	daemon.NotifyStopping(s.logger)
	drain(root.Scheduler, s, reason)
	return nil
}

// drain stops the scheduler, waiting up to s.drainTimeout for running jobs, and logs the stop and its reason
// (a signal's name or the context's cause).
func drain(cron *scheduler.Scheduler, s serving, reason string) {
	s.logger.Info("cron stopping", "pid", os.Getpid(), "reason", reason, "drain_timeout", s.drainTimeout.String())
	if report := cron.Stop(s.drainTimeout); report.Abandoned > 0 {
		s.logger.Warn("cron stopped with runs still going: they were abandoned", "pid", os.Getpid(),
			"reason", reason, "drain_timeout", s.drainTimeout.String(), "abandoned", report.Abandoned)
		return
	}
	s.logger.Info("cron stopped", "pid", os.Getpid(), "reason", reason)
}
