// Package cronprocess assembles and runs a cron process (`cron start`, in the foreground or as a
// daemon): its HTTP server (metrics, probes, status page), its alerts, its pidfile, its record in the
// registry and the scheduler, from start to drain. It takes values already parsed from the command line
// (Config) and knows no cobra command; its errors and warnings name the flags of `cron start` that set
// the Config fields they are about.
package cronprocess

import (
	"io"
	"log/slog"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/pidfile"
)

// Config is what a cron process runs with.
type Config struct {
	// Scheduler holds the registered entries; Serve starts it and stops it on a stop.
	Scheduler *engine.Scheduler
	// Backend keeps the run history, the process registry and the job control, and claims the ticks of
	// distributed entries. The caller made it and closes it after Serve returned. Nil: the process runs
	// normal entries only, without history, registry nor heartbeat.
	Backend contract.Backend
	// AppID identifies this process in claims, records and log lines.
	AppID string
	// BaseFolder (absolute) and Provider (the backend and its address, no secret) describe the process in
	// the registry and in its run records.
	BaseFolder, Provider string
	// Secrets are the credentials of the settings, scrubbed from what the alerts and the status page show.
	Secrets []string
	// Mode is pidfile.ModeForeground or pidfile.ModeDaemon, as the "cron started" line says it.
	Mode string
	// Settings are the process's settings as the "cron started" line shows them (secrets redacted).
	Settings string
	// Logger receives the process's structured log.
	Logger *slog.Logger
	// Output receives what runs print, each line with its job and tick (see engine.Environment.Output);
	// nil: runs write where their command writes.
	Output io.Writer
	// DrainTimeout (--drain-timeout) is how long a stop waits for running jobs.
	DrainTimeout time.Duration
	// OnHangup is what SIGHUP does (a daemon reopens its log files); nil: SIGHUP stops the process.
	OnHangup func()
	// Pidfiles is the folder of the cron processes' pidfiles: the stale ones are removed before the
	// server binds.
	Pidfiles pidfile.Folder
	// Pidfile takes this process's pidfile (recording its settings), once the server is bound and before
	// the scheduler starts; Serve releases it once the process stopped.
	Pidfile func() (*pidfile.Pidfile, error)
	// HTTP is the server of --http; nil: none.
	HTTP *HTTP
	// Webhooks (--alert-webhook, already checked) receive an alert when a job fails, misses ticks or
	// recovers; none: no alert.
	Webhooks []string
}
