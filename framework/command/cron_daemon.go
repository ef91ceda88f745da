package command

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	godaemon "github.com/sevlyar/go-daemon"
	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/daemon"
)

// daemonTitle is the process title of a cron daemon working in baseFolder, e.g. `hade cron [/srv/app1]`:
// startDaemon passes it as the daemon's argv[0], which ps shows first, so no title is rewritten later.
func daemonTitle(root *console.Root, baseFolder string) string {
	return root.Name() + " cron [" + baseFolder + "]"
}

// startDaemon starts a cron daemon with the settings of cmd (see daemonCommandLine: secrets go through
// its environment, never its command line) and returns once the daemon holds its pidfile, or with an error
// saying why it did not come up within readyTimeout, including what the daemon printed. The services are
// checked here first, so a bad setting fails in the parent, and so is the one-daemon rule (which the
// daemon checks again when it takes its pidfile, so two starts at once cannot both pass).
func startDaemon(cmd *cobra.Command, root *console.Root, readyTimeout time.Duration) error {
	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	if err := applyCronZone(root); err != nil {
		return err
	}
	if err := checkOneDaemon(cmd, files); err != nil {
		return err
	}
	if _, err := newCronHTTP(cmd); err != nil {
		return err
	}
	if _, err := schedulingService(cmd, root); err != nil {
		return err
	}
	if err := files.makeLogFolder(); err != nil {
		return err
	}
	workDir, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("find the working directory for the daemon: %w", err)
	}
	args, env := daemonCommandLine(cmd, files)
	outputStart := fileSize(files.output)
	context := &godaemon.Context{
		LogFileName: files.output, // absolute: the parent opens it
		LogFilePerm: 0o640,
		WorkDir:     workDir, // relative flags resolve in the daemon as they did here
		Umask:       0o027,
		Args:        append([]string{daemonTitle(root, files.app.BaseFolder())}, args...),
		Env:         env,
	}
	child, err := context.Reborn()
	if child == nil {
		if err == nil {
			err = errors.New("go-daemon returned neither a child nor an error")
		}
		return fmt.Errorf("start the cron daemon: %w", err)
	}
	// go-daemon v0.1.6 may report a broken pipe although the child started (its issue #86): readiness is
	// decided below, by the child's pidfile.
	handoffErr := err
	if err := waitForDaemon(files, child, readyTimeout); err != nil {
		return fmt.Errorf("%w%s", err, describeOutput(files.output, outputStart, handoffErr))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "cron daemon started: pid %d\nlog: %s\noutput: %s\npidfile: %s\n",
		child.Pid, files.log, files.output, files.pidfiles.File(child.Pid))
	return nil
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
	var running []daemon.Entry
	for _, entry := range entries {
		if entry.Running {
			running = append(running, entry)
		}
	}
	return refuseSecondDaemon(files, running)
}

// waitForDaemon polls until the child holds its pidfile with its own pid, has exited, or timeout passed
// (then it kills the child, which is ours).
func waitForDaemon(files cronFiles, child *os.Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		entry, err := files.pidfiles.Inspect(child.Pid)
		if err == nil && entry.Running && entry.Err == nil && entry.Record.PID == child.Pid {
			return nil
		}
		var status syscall.WaitStatus
		if pid, _ := syscall.Wait4(child.Pid, &status, syscall.WNOHANG, nil); pid == child.Pid {
			return fmt.Errorf("the cron daemon (pid %d) exited before it was up: %s", child.Pid, describeStatus(status))
		}
		if time.Now().After(deadline) {
			killErr := child.Kill()
			_, _ = child.Wait()
			return errors.Join(fmt.Errorf("the cron daemon (pid %d) was not up after %s (--ready-timeout); it was killed", child.Pid, timeout), killErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func describeStatus(status syscall.WaitStatus) string {
	if status.Signaled() {
		return "killed by " + status.Signal().String()
	}
	return fmt.Sprintf("exit status %d", status.ExitStatus())
}

// describeOutput returns what the daemon wrote to its output file since offset, for an error message.
func describeOutput(path string, offset int64, handoffErr error) string {
	var text strings.Builder
	if handoffErr != nil {
		fmt.Fprintf(&text, "\n(go-daemon also reported: %v)", handoffErr)
	}
	file, err := os.Open(path)
	if err != nil {
		return text.String()
	}
	defer file.Close()
	data, err := io.ReadAll(io.NewSectionReader(file, offset, 64<<10))
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		fmt.Fprintf(&text, "\nthe daemon printed nothing to %s", path)
		return text.String()
	}
	fmt.Fprintf(&text, "\nthe daemon printed to %s:\n%s", path, strings.TrimRight(string(data), "\n"))
	return text.String()
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// runDaemonChild is `cron start -d` in the daemon: it completes go-daemon's hand-off, stops passing the
// daemon's marker and descriptors on to the processes jobs start, and serves with the structured log in
// storage/log/cron.log and what jobs print in storage/log/cron.output.log, reopening both on SIGHUP.
func runDaemonChild(cmd *cobra.Command, root *console.Root, options *startOptions, level slog.Level) error {
	signal.Ignore(syscall.SIGHUP) // a logrotate SIGHUP while starting must not end the daemon; serve handles it
	if _, err := new(godaemon.Context).Reborn(); err != nil {
		return fmt.Errorf("daemon hand-off: %w", err)
	}
	if err := os.Unsetenv(godaemon.MARK_NAME); err != nil {
		return err
	}
	syscall.CloseOnExec(3) // go-daemon leaves /dev/null open on fd 3

	files, err := resolveCronFiles(cmd)
	if err != nil {
		return err
	}
	logs, err := daemon.OpenLogs(files.log, files.output)
	if err != nil {
		return err
	}
	logger := newCronLogger(logs.Log(), level)
	root.SetOut(logs.Output()) // what commands print outside runs
	root.SetErr(logs.Output())
	reopen := func() {
		if err := logs.Reopen(); err != nil {
			logger.Error("cron could not reopen its log files", "signal", "SIGHUP", "error", err.Error())
			return
		}
		logger.Info("cron reopened its log files", "signal", "SIGHUP", "log", files.log, "output", files.output)
	}
	serveErr := serve(cmd, root, serving{mode: daemon.ModeDaemon, logPath: files.log, logger: logger, output: logs.Output(),
		drainTimeout: options.drainTimeout, onHangup: reopen})
	if serveErr != nil {
		logger.Error("cron failed", "error", serveErr.Error())
	}
	return errors.Join(serveErr, logs.Close())
}
