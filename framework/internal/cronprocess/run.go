package cronprocess

import (
	"context"
	"os"

	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/observe"
)

// run starts the alerts and the scheduler over c.Backend, waits for a stop (stopped is done: a signal, or
// the end of ctx), drains the scheduler, then stops the alerts; pidPath is logged.
func run(ctx context.Context, c Config, web *web, stopped context.Context, pidPath string) error {
	alerter, err := startAlerts(c)
	if err != nil {
		return err
	}
	defer stopAlerts(alerter, c.Logger) // after the scheduler stopped: its last alerts are posted
	web.countAlerts(alerter)
	env := engine.Environment{Context: ctx, Logger: c.Logger, AppID: c.AppID, Backend: c.Backend,
		Output: c.Output, Process: processRecord(c.BaseFolder, c.Provider),
		Observer: observe.Join(web.observer(), alertObserver(alerter))}
	if err := c.Scheduler.Start(env); err != nil {
		return err
	}
	c.Logger.Info("cron started", "pid", os.Getpid(), "app_id", c.AppID, "mode", c.Mode,
		"entries", len(c.Scheduler.Entries()), "pidfile", pidPath, "settings", c.Settings)
	web.started()
	daemon.NotifyReady(c.Logger)
	<-stopped.Done()
	reason := context.Cause(stopped).Error()
	web.stopping()
	daemon.NotifyStopping(c.Logger)
	drain(c, reason)
	return nil
}

// drain stops c.Scheduler, waiting up to c.DrainTimeout for running jobs, and logs the stop and its
// reason (a signal's name or the context's cause).
func drain(c Config, reason string) {
	c.Logger.Info("cron stopping", "pid", os.Getpid(), "reason", reason, "drain_timeout", c.DrainTimeout.String())
	if report := c.Scheduler.Stop(c.DrainTimeout); report.Abandoned > 0 {
		c.Logger.Warn("cron stopped with runs still going: they were abandoned", "pid", os.Getpid(),
			"reason", reason, "drain_timeout", c.DrainTimeout.String(), "abandoned", report.Abandoned)
		return
	}
	c.Logger.Info("cron stopped", "pid", os.Getpid(), "reason", reason)
}
