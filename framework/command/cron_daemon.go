package command

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/settings"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// startDaemon starts a cron daemon with the settings of cmd (see settings.DaemonCommandLine: secrets go
// through its environment, never its command line) and prints its pid and files once it is up
// (supervisor.Start). The one-daemon rule (unless --allow-another-daemon) and the settings are checked
// here first, so a bad setting fails in the parent.
func startDaemon(cmd *cobra.Command, root *kernel.Root, options startOptions) error {
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	if err := root.ApplyCronZone(); err != nil {
		return err
	}
	if !options.another {
		if err := supervisor.CheckOneDaemon(files); err != nil {
			return err
		}
	}
	if _, err := newCronHTTP(cmd); err != nil {
		return err
	}
	if _, err := root.SchedulingBackend(cmd.Context()); err != nil {
		return err
	}
	args, env := settings.DaemonCommandLine(cmd.Flags(), files.App.BaseFolder())
	pid, err := supervisor.Start(cmd.Context(), files, supervisor.Daemon{Program: root.Name(), Args: args,
		Env: env, ReadyTimeout: options.readyTimeout})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "cron daemon started: pid %d\nlog: %s\noutput: %s\npidfile: %s\n",
		pid, files.Log, files.Output, files.Pidfiles.File(pid))
	return nil
}

// runDaemonChild is `cron start -d` in the daemon: it completes the start (daemon.CompleteStart) and
// serves with the structured log in storage/log/cron.log and what jobs print in
// storage/log/cron.output.log, reopening both on SIGHUP (supervisor.OpenChild).
func runDaemonChild(cmd *cobra.Command, root *kernel.Root, options *startOptions, level slog.Level) error {
	if err := daemon.CompleteStart(); err != nil { // SIGHUP is ignored until serve handles it
		return err
	}
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	newLogger := func(w io.Writer) *slog.Logger { return newCronLogger(root, w, level) }
	child, err := supervisor.OpenChild(files, newLogger)
	if err != nil {
		return err
	}
	root.SetOut(child.Output()) // what commands print outside runs
	root.SetErr(child.Output())
	return child.End(serve(cmd, root, serving{mode: pidfile.ModeDaemon, logPath: files.Log,
		logger: child.Logger, output: child.Output(), drainTimeout: options.drainTimeout,
		allowAnother: options.another, onHangup: child.Reopen})) // the log files close when the process exits
}
