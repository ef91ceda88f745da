package command

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/cronhttp"
	"github.com/hadeframe/hade/framework/internal/cronprocess"
	"github.com/hadeframe/hade/framework/internal/settings"
)

// envCronHTTP is the environment variable of --http, read when the flag is not given; that of --http-token
// is settings.EnvHTTPToken.
const envCronHTTP = "HADE_CRON_HTTP"

// registerHTTPFlags adds --http and --http-token to `cron start` and `cron restart`. The token's flag has
// no default, so that help never shows it: the environment is read by httpToken.
func registerHTTPFlags(cmd *cobra.Command) {
	cmd.Flags().String("http", os.Getenv(envCronHTTP), "serve /metrics, /healthz, /readyz and the status page on "+
		"host:port; no host binds loopback: \":9090\" is 127.0.0.1:9090, \"0.0.0.0:9090\" every interface (env "+envCronHTTP+")")
	cmd.Flags().String(settings.HTTPTokenFlag, "", "token the status page's actions require; without it the "+
		"page is read-only (env "+settings.EnvHTTPToken+"; never shown)")
}

// newCronHTTP reads --http (or HADE_CRON_HTTP) and the token; it returns nil when --http is empty, and an
// error naming the flag and valid addresses when it is not host:port.
func newCronHTTP(cmd *cobra.Command) (*cronprocess.HTTP, error) {
	flag := cmd.Flags().Lookup("http")
	if flag == nil || flag.Value.String() == "" {
		return nil, nil
	}
	address, err := cronhttp.ParseAddress(flag.Value.String())
	if err != nil {
		return nil, fmt.Errorf("--http (or %s): %w", envCronHTTP, err)
	}
	return &cronprocess.HTTP{Address: address, Token: httpToken(cmd)}, nil
}

// httpToken returns --http-token, or HADE_CRON_HTTP_TOKEN when the flag is empty.
func httpToken(cmd *cobra.Command) string {
	if flag := cmd.Flags().Lookup(settings.HTTPTokenFlag); flag != nil && flag.Value.String() != "" {
		return flag.Value.String()
	}
	return os.Getenv(settings.EnvHTTPToken)
}
