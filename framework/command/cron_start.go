package command

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sevlyar/go-daemon"
	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/pidfile"
	"github.com/hadeframe/hade/framework/scheduler"
)

// startOptions are the flags of `cron start` (and of `cron restart`, which starts a daemon).
type startOptions struct {
	daemon       bool
	drainTimeout time.Duration
	readyTimeout time.Duration
}

func (o *startOptions) register(cmd *cobra.Command, withDaemonFlag bool) {
	if withDaemonFlag {
		cmd.Flags().BoolVarP(&o.daemon, "daemon", "d", false, "run in the background: pidfile in storage/runtime, logs in storage/log")
	}
	cmd.Flags().DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long to wait for running jobs before exiting")
	cmd.Flags().DurationVar(&o.readyTimeout, "ready-timeout", 10*time.Second, "with a daemon: how long the parent waits for the daemon to be up")
}

func newCronStartCommand(root *console.Root) *cobra.Command {
	options := &startOptions{}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start the cron scheduler in the foreground, or as a daemon with -d",
		Long: `Start the cron scheduler. In the foreground it logs one JSON line per run to stdout and stops on
SIGINT or SIGTERM, waiting up to --drain-timeout for running jobs. With -d it starts a daemon and returns
once the daemon is up, printing its pid and log files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case daemon.WasReborn():
				return runDaemonChild(cmd, root, options)
			case options.daemon:
				return startDaemon(cmd, root, os.Args[1:], options.readyTimeout)
			default:
				logger := slog.New(slog.NewJSONHandler(cmd.OutOrStdout(), nil))
				return serve(cmd, root, "foreground", "stdout", logger, options.drainTimeout)
			}
		},
	}
	options.register(cmd, true)
	return cmd
}

// serve runs the scheduler in this process until SIGINT or SIGTERM: it checks the services, takes this
// process's pidfile, starts the scheduler, and on a signal stops it, waits for the running jobs up to
// drainTimeout and releases the pidfile.
func serve(cmd *cobra.Command, root *console.Root, mode, logPath string, logger *slog.Logger, drainTimeout time.Duration) (err error) {
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	selector, err := distributedService(cmd, root)
	if err != nil {
		return err
	}
	if closer, ok := selector.(io.Closer); ok {
		defer func() { err = errors.Join(err, closer.Close()) }()
	}
	if _, err := files.pidfiles.RemoveStale(); err != nil {
		return err
	}
	pid, err := files.pidfiles.Acquire(pidfile.Record{
		PID: os.Getpid(), AppID: files.app.AppID(), Mode: mode, StartedAt: time.Now(), Args: os.Args, Log: logPath,
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pid.Release()) }()

	signals, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()
	env := scheduler.Environment{Context: cmd.Context(), Logger: logger, AppID: files.app.AppID(), Distributed: selector}
	if err := root.Scheduler.Start(env); err != nil {
		return err
	}
	logger.Info("cron started", "pid", os.Getpid(), "app_id", files.app.AppID(), "mode", mode,
		"entries", len(root.Scheduler.CronSpecs), "pidfile", pid.Path())
	<-signals.Done()
	logger.Info("cron stopping", "pid", os.Getpid(), "drain_timeout", drainTimeout.String())
	if report := root.Scheduler.Stop(drainTimeout); report.Abandoned > 0 {
		logger.Warn("cron stopped with runs still going: they were abandoned", "pid", os.Getpid(), "drain_timeout", drainTimeout.String(), "abandoned", report.Abandoned)
		return nil
	}
	logger.Info("cron stopped", "pid", os.Getpid())
	return nil
}
