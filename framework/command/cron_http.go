package command

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/alert"
	"github.com/hadeframe/hade/framework/internal/cronhttp"
	"github.com/hadeframe/hade/framework/internal/metrics"
	"github.com/hadeframe/hade/framework/internal/observe"
)

// The environment variables of --http and --http-token, read when the flag is not given.
const (
	envCronHTTP      = "HADE_CRON_HTTP"
	envCronHTTPToken = "HADE_CRON_HTTP_TOKEN"
)

// httpShutdownTimeout bounds how long a stopping process waits for the HTTP requests in progress.
const httpShutdownTimeout = 5 * time.Second

// registerHTTPFlags adds --http and --http-token to `cron start` and `cron restart`. The token's flag has
// no default, so that help never shows it: the environment is read by httpToken.
func registerHTTPFlags(cmd *cobra.Command) {
	cmd.Flags().String("http", os.Getenv(envCronHTTP), "serve /metrics, /healthz, /readyz and the status page on "+
		"host:port; no host binds loopback: \":9090\" is 127.0.0.1:9090, \"0.0.0.0:9090\" every interface (env "+envCronHTTP+")")
	cmd.Flags().String("http-token", "", "token the status page's actions require; without it the page is "+
		"read-only (env "+envCronHTTPToken+"; never shown)")
}

// cronHTTP is the HTTP side of a cron process started with --http: its metrics and readiness observe the
// scheduler, its server binds before the pidfile is taken and stops after the drain. Every method of a nil
// *cronHTTP (no --http) does nothing.
type cronHTTP struct {
	address   cronhttp.Address
	token     string
	metrics   *metrics.Observer
	readiness *cronhttp.Readiness
	server    *cronhttp.Server
}

// newCronHTTP reads --http (or HADE_CRON_HTTP) and the token; it returns nil when --http is empty, and an
// error naming the flag and valid addresses when it is not host:port.
func newCronHTTP(cmd *cobra.Command) (*cronHTTP, error) {
	flag := cmd.Flags().Lookup("http")
	if flag == nil || flag.Value.String() == "" {
		return nil, nil
	}
	address, err := cronhttp.ParseAddress(flag.Value.String())
	if err != nil {
		return nil, fmt.Errorf("--http (or %s): %w", envCronHTTP, err)
	}
	return &cronHTTP{address: address, token: httpToken(cmd)}, nil
}

// httpToken returns --http-token, or HADE_CRON_HTTP_TOKEN when the flag is empty.
func httpToken(cmd *cobra.Command) string {
	if flag := cmd.Flags().Lookup("http-token"); flag != nil && flag.Value.String() != "" {
		return flag.Value.String()
	}
	return os.Getenv(envCronHTTPToken)
}

// actionToken returns the token of the status page's actions ("" when none is set: read-only), nil-safe.
func (h *cronHTTP) actionToken() string {
	if h == nil {
		return ""
	}
	return h.token
}

// start binds the server (its errors name the address) with page on "/" (nil: 404) and logs where it
// listens, warning when that is not loopback and no token is set; heartbeat says whether the process has
// a backend heartbeat, which /readyz then follows.
func (h *cronHTTP) start(ctx context.Context, logger *slog.Logger, heartbeat bool, page http.Handler) error {
	if h == nil {
		return nil
	}
	h.metrics, h.readiness = metrics.New(), cronhttp.NewReadiness(heartbeat)
	h.server = cronhttp.New(h.address, page, h.metrics.Handler(), h.readiness.Ready)
	if err := h.server.Start(ctx); err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	logger.Info("cron http listening", "address", h.server.Addr(), "loopback", h.address.Loopback,
		"actions", h.token != "")
	if !h.address.Loopback && h.token == "" {
		logger.Warn("cron http listens on a non-loopback address without a token: whoever reaches it reads the "+
			"metrics and the status page; set --http-token or "+envCronHTTPToken+" for actions, bind loopback "+
			"or restrict access", "address", h.server.Addr())
	}
	return nil
}

// observer returns the Observer of the metrics and the readiness, for the scheduler's Environment; nil
// before start.
func (h *cronHTTP) observer() observe.Observer {
	if h == nil || h.metrics == nil {
		return nil
	}
	return observe.Join(h.metrics, h.readiness)
}

// started tells /readyz the scheduler runs.
func (h *cronHTTP) started() {
	if h != nil && h.readiness != nil {
		h.readiness.Started()
	}
}

// stopping tells /readyz the process is stopping.
func (h *cronHTTP) stopping() {
	if h != nil && h.readiness != nil {
		h.readiness.Stopping()
	}
}

// stop shuts the server down, waiting up to httpShutdownTimeout for the requests in progress; a failure
// is logged: the process stopped all the same.
func (h *cronHTTP) stop(logger *slog.Logger) {
	if h == nil || h.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	if err := h.server.Shutdown(ctx); err != nil {
		logger.Warn("cron http did not stop cleanly", "error", err.Error(), "timeout", httpShutdownTimeout.String())
	}
}

// countAlerts exports the counts of alerter on /metrics; nil-safe (no --http, no webhook).
func (h *cronHTTP) countAlerts(alerter *alert.Alerter) {
	if h != nil && h.metrics != nil && alerter != nil {
		h.metrics.CountAlerts(alerter.Sent, alerter.Lost)
	}
}
