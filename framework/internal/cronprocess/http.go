package cronprocess

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/cronhttp"
	"github.com/hadeframe/hade/framework/internal/metrics"
	"github.com/hadeframe/hade/framework/internal/observe"
)

// httpShutdownTimeout bounds how long a stopping process waits for the HTTP requests in progress.
const httpShutdownTimeout = 5 * time.Second

// HTTP is the server of a cron process started with --http (or HADE_CRON_HTTP).
type HTTP struct {
	// Address is where it listens.
	Address cronhttp.Address
	// Token (--http-token or HADE_CRON_HTTP_TOKEN) is what the status page's actions require; "": the page
	// is read-only.
	Token string
}

// web is the HTTP side of a running cron process: its metrics and readiness observe the scheduler, its
// server binds before the pidfile is taken and stops after the drain. Every method of a nil *web (no
// --http) does nothing.
type web struct {
	config    HTTP
	metrics   *metrics.Observer
	readiness *cronhttp.Readiness
	server    *cronhttp.Server
}

// start binds the server (its errors name --http) with page on "/" (nil: 404) and logs where it listens,
// warning when that is not loopback and no token is set; heartbeat says whether the process has a
// backend heartbeat, which /readyz then follows.
func (w *web) start(ctx context.Context, logger *slog.Logger, heartbeat bool, page http.Handler) error {
	if w == nil {
		return nil
	}
	w.metrics, w.readiness = metrics.New(), cronhttp.NewReadiness(heartbeat)
	w.server = cronhttp.New(w.config.Address, page, w.metrics.Handler(), w.readiness.Ready)
	if err := w.server.Start(ctx); err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	logger.Info("cron http listening", "address", w.server.Addr(), "loopback", w.config.Address.Loopback,
		"actions", w.config.Token != "")
	if !w.config.Address.Loopback && w.config.Token == "" {
		logger.Warn("cron http listens on a non-loopback address without a token: whoever reaches it reads the "+
			"metrics and the status page; set --http-token or HADE_CRON_HTTP_TOKEN for actions, bind loopback "+
			"or restrict access", "address", w.server.Addr())
	}
	return nil
}

// observer returns the Observer of the metrics and the readiness, for the scheduler's Environment; nil
// before start.
func (w *web) observer() observe.Observer {
	if w == nil || w.metrics == nil {
		return nil
	}
	return observe.Join(w.metrics, w.readiness)
}

// started tells /readyz the scheduler runs.
func (w *web) started() {
	if w != nil && w.readiness != nil {
		w.readiness.Started()
	}
}

// stopping tells /readyz the process is stopping.
func (w *web) stopping() {
	if w != nil && w.readiness != nil {
		w.readiness.Stopping()
	}
}

// stop shuts the server down, waiting up to httpShutdownTimeout for the requests in progress; a failure
// is logged: the process stopped all the same.
func (w *web) stop(logger *slog.Logger) {
	if w == nil || w.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	if err := w.server.Shutdown(ctx); err != nil {
		logger.Warn("cron http did not stop cleanly", "error", err.Error(), "timeout", httpShutdownTimeout.String())
	}
}

// countAlerts exports the counts of alerter on /metrics; nil-safe (no --http, no webhook).
func (w *web) countAlerts(alerter *alert.Alerter) {
	if w != nil && w.metrics != nil && alerter != nil {
		w.metrics.CountAlerts(alerter.Sent, alerter.Lost)
	}
}
