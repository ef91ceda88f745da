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

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// etcd defaults: the endpoint etcdctl uses, the key prefix (the Redis prefix as a path), and the timeouts.
// A claim request is bounded by the request timeout and re-sent while its hold window is open, so a leader
// election (about 1.5 s with etcd's default settings) costs a re-send, not a tick.
const (
	defaultEndpoints      = "127.0.0.1:2379"
	defaultPrefix         = "/hade/"
	defaultDialTimeout    = 2 * time.Second
	defaultRequestTimeout = time.Second
)

// endpointsSetting names Config.Client.Endpoints in messages.
const endpointsSetting = "etcd.Config.Client.Endpoints"

// validEtcdEndpoints says what parseEtcdEndpoints accepts, for messages.
const validEtcdEndpoints = "valid: host:port or http(s)://host:port, all with the same scheme, " +
	"e.g. 10.0.0.1:2379,10.0.0.2:2379"

// Config configures the etcd backend (see New).
type Config struct {
	// Client configures the etcd client (go.etcd.io/etcd/client/v3): Endpoints (host:port or
	// http(s)://host:port, all with one scheme; none: 127.0.0.1:2379), Username and Password (no
	// Username: no authentication), TLS (the members' CA in RootCAs and a client certificate; nil: the
	// system roots for https:// endpoints, none for the others; it must be nil for http:// ones),
	// DialTimeout (0: 2 s), and any other option of the client. Its Logger is replaced by one that writes
	// to Logger.
	Client clientv3.Config
	Prefix string // the prefix of every key, e.g. "/hade/" (the command line's default); empty: none
	// RequestTimeout bounds one claim request (0: 1 s); a failed one is re-sent while its hold window is
	// open.
	RequestTimeout time.Duration
	// WaitForCluster: when the cluster does not answer, New returns the backend anyway (claims fail closed
	// until it answers) rather than an error; what waiting cannot fix is still an error.
	WaitForCluster bool
	// Logger receives the start and end of an outage and the etcd client's own log lines, as
	// {"msg":"etcd-client","message":...}; nil: slog.Default().
	Logger *slog.Logger
	// Retention bounds the run history; zero fields are the defaults of backend.Retention.WithDefaults.
	Retention backend.Retention
}

// parseEtcdEndpoints checks raw (none: defaultEndpoints); it returns the endpoints, trimmed, and whether
// they ask for TLS (https). The error names setting and the bad endpoint (credentials in it redacted).
func parseEtcdEndpoints(raw []string, setting string) (endpoints []string, https bool, err error) {
	if len(raw) == 0 {
		raw = []string{defaultEndpoints}
	}
	schemes := map[string]bool{}
	for _, endpoint := range raw {
		endpoint = strings.TrimSpace(endpoint)
		scheme, err := checkEtcdEndpoint(endpoint)
		if err != nil {
			return nil, false, fmt.Errorf("etcd endpoint %q (%s) is invalid: %v; %s", secret.RedactUserInfo(endpoint), setting, err, validEtcdEndpoints)
		}
		schemes[scheme] = true
		endpoints = append(endpoints, endpoint)
	}
	if len(schemes) > 1 {
		return nil, false, fmt.Errorf("etcd endpoints %q (%s) mix schemes (host:port, http://, https://); %s",
			strings.Join(raw, ","), setting, validEtcdEndpoints)
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
			return "", errors.New("it has a user, a path or a query; give the user in etcd.Config.Client.Username")
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

// etcdTLS returns the TLS configuration of the client for given, the Config's: a clone of given, TLS with
// the system roots for https endpoints when given is nil, or nil. It returns an error when given is set for
// http:// endpoints.
func etcdTLS(given *tls.Config, endpoints []string, https bool) (*tls.Config, error) {
	switch {
	case given != nil && strings.HasPrefix(endpoints[0], "http://"):
		return nil, fmt.Errorf("etcd endpoints %q (%s) are http:// but etcd.Config.Client.TLS is set: use https:// or host:port",
			strings.Join(endpoints, ","), endpointsSetting)
	case given != nil:
		return given.Clone(), nil
	case https:
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	return nil, nil
}
