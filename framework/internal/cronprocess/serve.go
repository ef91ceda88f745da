package cronprocess

import (
	"context"
	"errors"
	"syscall"

	"github.com/hadeframe/hade/framework/daemon"
)

// processUmask is the file mode creation mask of every cron process, foreground or daemon, so that both
// create files (theirs and their jobs') with the same permissions: no access for others.
const processUmask = 0o027

// Serve runs c.Scheduler in this process until SIGINT, SIGTERM, SIGHUP (unless c.OnHangup handles it)
// or the end of ctx: it sets the umask, removes the stale pidfiles, binds the server of c.HTTP when set,
// takes this process's pidfile (c.Pidfile), starts the alerts and the scheduler, tells systemd it is
// ready (when NOTIFY_SOCKET is set), and on a stop logs its reason, drains the scheduler (see drain),
// stops the alerts, releases the pidfile and stops the server. It returns nil after a stop, and the
// first error of a step otherwise, having undone the steps before it.
func Serve(ctx context.Context, c Config) (err error) {
	syscall.Umask(processUmask)
	// before the pidfile, which tells others this process is up
	stopped, stopSignals := daemon.NotifySignals(ctx, c.OnHangup)
	defer stopSignals()
	if _, err := c.Pidfiles.RemoveStale(); err != nil {
		return err
	}
	web, err := startWeb(ctx, c) // before the pidfile: a daemon fails its start
	if err != nil {
		return err
	}
	defer web.stop(c.Logger)
	pid, err := c.Pidfile()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pid.Release()) }()
	return run(ctx, c, web, stopped, pid.Path())
}
