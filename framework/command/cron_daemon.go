package command

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/settings"
)

// daemonTitle is the process title of a cron daemon working in baseFolder, e.g. `hade cron [/srv/app1]`:
// startDaemon passes it as the daemon's argv[0], which ps shows first, so no title is rewritten later.
func daemonTitle(root *kernel.Root, baseFolder string) string {
	return root.Name() + " cron [" + baseFolder + "]"
}

// startDaemon starts a cron daemon with the settings of cmd (see settings.DaemonCommandLine: secrets go through
// its environment, never its command line) and returns once the daemon holds its pidfile, or with an error
// saying why it did not come up within readyTimeout, including what the daemon printed. The services are
// checked here first, so a bad setting fails in the parent, and so is the one-daemon rule (which the
// daemon checks again when it takes its pidfile, so two starts at once cannot both pass).
func startDaemon(cmd *cobra.Command, root *kernel.Root, readyTimeout time.Duration) error {
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	if err := root.ApplyCronZone(); err != nil {
		return err
	}
	if err := checkOneDaemon(cmd, files); err != nil {
		return err
	}
	if _, err := newCronHTTP(cmd); err != nil {
		return err
	}
	if _, err := root.SchedulingBackend(cmd.Context()); err != nil {
		return err
	}
	if err := files.makeLogFolder(); err != nil {
		return err
	}
	args, env := settings.DaemonCommandLine(cmd.Flags(), files.app.BaseFolder())
	ctx, cancel := context.WithTimeoutCause(cmd.Context(), readyTimeout,
		fmt.Errorf("still starting after %s (--ready-timeout)", readyTimeout))
	defer cancel()
	pid, err := daemon.Start(ctx, daemon.Spec{Output: files.output, Env: env,
		Args:  append([]string{daemonTitle(root, files.app.BaseFolder())}, args...),
		Ready: func(pid int) bool { return holdsPidfile(files.pidfiles, pid) }})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "cron daemon started: pid %d\nlog: %s\noutput: %s\npidfile: %s\n",
		pid, files.log, files.output, files.pidfiles.File(pid))
	return nil
}

// holdsPidfile reports whether the process pid holds its readable pidfile in pidfiles: a daemon does once
// it is up.
func holdsPidfile(pidfiles pidfile.Folder, pid int) bool {
	entry, err := pidfiles.Inspect(pid)
	return err == nil && entry.Running && entry.Err == nil
}

// checkOneDaemon refuses to start a daemon while one runs in the base folder, unless cmd has
// --allow-another-daemon.
func checkOneDaemon(cmd *cobra.Command, files cronFiles) error {
	if anotherDaemonAllowed(cmd) {
		return nil
	}
	entries, err := files.pidfiles.List()
	if err != nil {
		return err
	}
	var running []pidfile.Entry
	for _, entry := range entries {
		if entry.Running {
			running = append(running, entry)
		}
	}
	return refuseSecondDaemon(files, running)
}

// runDaemonChild is `cron start -d` in the daemon: it completes the start (daemon.CompleteStart) and
// serves with the structured log in storage/log/cron.log and what jobs print in
// storage/log/cron.output.log, reopening both on SIGHUP.
func runDaemonChild(cmd *cobra.Command, root *kernel.Root, options *startOptions, level slog.Level) error {
	if err := daemon.CompleteStart(); err != nil { // SIGHUP is ignored until serve handles it
		return err
	}
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	logs, err := daemon.OpenLogs(files.log, files.output)
	if err != nil {
		return err
	}
	logger := newCronLogger(root, logs.Log(), level)
	root.SetOut(logs.Output()) // what commands print outside runs
	root.SetErr(logs.Output())
	reopen := func() {
		if err := logs.Reopen(); err != nil {
			logger.Error("cron could not reopen its log files", "signal", "SIGHUP", "error", err.Error())
			return
		}
		logger.Info("cron reopened its log files", "signal", "SIGHUP", "log", files.log, "output", files.output)
	}
	serveErr := serve(cmd, root, serving{mode: pidfile.ModeDaemon, logPath: files.log, logger: logger,
		output: logs.Output(), drainTimeout: options.drainTimeout, onHangup: reopen})
	if serveErr != nil {
		logger.Error("cron failed", "error", serveErr.Error())
	}
	return serveErr // the log files close when the process exits
}
