package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/pidfile"
)

// Daemon is a cron daemon to start: this executable again, as `cron start -d` with the settings of its
// command line and environment.
type Daemon struct {
	// Program is the application's name, e.g. hade: the daemon's process title, which ps shows first, is
	// `hade cron [<base folder>]`, so no title is rewritten later.
	Program string
	// Args are its command line after the program name, and Env its whole environment (see
	// settings.DaemonCommandLine: secrets go through the environment, never the command line).
	Args, Env []string
	// ReadyTimeout (--ready-timeout) bounds the wait for the daemon to be up.
	ReadyTimeout time.Duration
}

// Start creates the log folder of files and starts d (daemon.Start), its fds 1 and 2 appending to
// files.Output, and returns its pid once it holds its pidfile in files.Pidfiles, or an error saying why it
// did not come up within d.ReadyTimeout, including what the daemon printed. It checks nothing else: the
// caller checks the settings and the one-daemon rule (CheckOneDaemon) first, which the daemon checks again
// when it takes its pidfile (Acquire), so that two starts at once cannot both pass.
func Start(ctx context.Context, files Files, d Daemon) (pid int, err error) {
	if err := files.makeLogFolder(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d.ReadyTimeout,
		fmt.Errorf("still starting after %s (--ready-timeout)", d.ReadyTimeout))
	defer cancel()
	return daemon.Start(ctx, daemon.Spec{Output: files.Output, Env: d.Env,
		Args:  append([]string{title(d.Program, files.App.BaseFolder())}, d.Args...),
		Ready: func(pid int) bool { return holdsPidfile(files.Pidfiles, pid) }})
}

// title is the process title of a cron daemon of program working in baseFolder, e.g. `hade cron
// [/srv/app1]`.
func title(program, baseFolder string) string {
	return program + " cron [" + baseFolder + "]"
}

// holdsPidfile reports whether the process pid holds its readable pidfile in pidfiles: a daemon does once
// it is up.
func holdsPidfile(pidfiles pidfile.Folder, pid int) bool {
	entry, err := pidfiles.Inspect(pid)
	return err == nil && entry.Running && entry.Err == nil
}
