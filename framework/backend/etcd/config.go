package etcd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// etcd defaults: the endpoint etcdctl uses, the key prefix (the Redis prefix as a path), and the timeouts.
// A claim request is bounded by the request timeout and re-sent while its hold window is open, so a leader
// election (about 1.5 s with etcd's default settings) costs a re-send, not a tick.
const (
	DefaultEndpoints      = "127.0.0.1:2379"
	DefaultPrefix         = "/hade/"
	DefaultDialTimeout    = 2 * time.Second
	DefaultRequestTimeout = time.Second
)

// endpointsSetting names Config.Endpoints in messages.
const endpointsSetting = "etcd.Config.Endpoints"

// validEtcdEndpoints says what parseEtcdEndpoints accepts, for messages.
const validEtcdEndpoints = "valid: comma-separated host:port or http(s)://host:port, all with the same scheme, " +
	"e.g. 10.0.0.1:2379,10.0.0.2:2379"

// Config configures the etcd backend (see New).
type Config struct {
	Endpoints string // comma-separated host:port or http(s)://host:port
	Prefix    string // the prefix of every key, e.g. "/hade/"
	User      string // etcd user, "" without authentication
	Password  string // the user's password
	// TLS is the client's TLS configuration: the members' CA (RootCAs; nil: the system roots) and a client
	// certificate for members that ask for one. nil: TLS with the system roots for https:// endpoints,
	// none for the others. It must be nil for http:// endpoints.
	TLS            *tls.Config
	DialTimeout    time.Duration
	RequestTimeout time.Duration
	// WaitForCluster: when the cluster does not answer, New returns the backend anyway (claims fail closed
	// until it answers) rather than an error; what waiting cannot fix is still an error.
	WaitForCluster bool
	// Logger receives the start and end of an outage and the etcd client's own log lines, as
	// {"msg":"etcd-client","message":...}; nil: slog.Default().
	Logger *slog.Logger
	// Retention bounds the run history; zero fields are backend.DefaultRetention's.
	Retention backend.Retention
}

// parseEtcdEndpoints splits and checks raw; it returns the endpoints and whether they ask for TLS (https).
// The error names setting and the bad endpoint (credentials in it redacted).
func parseEtcdEndpoints(raw, setting string) (endpoints []string, https bool, err error) {
	schemes := map[string]bool{}
	for _, endpoint := range strings.Split(raw, ",") {
		endpoint = strings.TrimSpace(endpoint)
		scheme, err := checkEtcdEndpoint(endpoint)
		if err != nil {
			return nil, false, fmt.Errorf("etcd endpoint %q (%s) is invalid: %v; %s", secret.RedactUserInfo(endpoint), setting, err, validEtcdEndpoints)
		}
		schemes[scheme] = true
		endpoints = append(endpoints, endpoint)
	}
	if len(schemes) > 1 {
		return nil, false, fmt.Errorf("etcd endpoints %q (%s) mix schemes (host:port, http://, https://); %s", raw, setting, validEtcdEndpoints)
	}
	return endpoints, schemes["https"], nil
}

// checkEtcdEndpoint returns the scheme of endpoint ("" for host:port) or why it is invalid.
func checkEtcdEndpoint(endpoint string) (string, error) {
	hostPort, scheme := endpoint, ""
	if strings.Contains(endpoint, "://") {
		parsed, err := url.Parse(endpoint)
		switch {
		case err != nil:
			return "", errors.New("it does not parse as a URL")
		case parsed.Scheme != "http" && parsed.Scheme != "https":
			return "", fmt.Errorf("scheme %q is neither http nor https", parsed.Scheme)
		case parsed.User != nil || parsed.RawQuery != "" || (parsed.Path != "" && parsed.Path != "/"):
			return "", errors.New("it has a user, a path or a query; give the user in etcd.Config.User")
		}
		hostPort, scheme = parsed.Host, parsed.Scheme
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || host == "" {
		return "", errors.New("it is not host:port")
	}
	if number, err := strconv.Atoi(port); err != nil || number < 1 || number > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return scheme, nil
}

// etcdTLS returns the TLS configuration of the client for c: a clone of c.TLS, TLS with the system roots
// for https endpoints when c.TLS is nil, or nil. It returns an error when c.TLS is set for http:// ones.
func etcdTLS(c Config, https bool, plainScheme bool) (*tls.Config, error) {
	switch {
	case c.TLS != nil && plainScheme:
		return nil, fmt.Errorf("etcd endpoints %q (%s) are http:// but etcd.Config.TLS is set: use https:// or host:port",
			c.Endpoints, endpointsSetting)
	case c.TLS != nil:
		return c.TLS.Clone(), nil
	case https:
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	return nil, nil
}
