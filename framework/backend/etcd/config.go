package etcd

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
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
	Endpoints      string // comma-separated host:port or http(s)://host:port
	Prefix         string // the prefix of every key, e.g. "/hade/"
	User           string // etcd user, "" without authentication
	Password       string // the user's password
	PasswordFile   string // a file holding the password (first line), used when Password is ""
	CACert         string // PEM file of the CA that signed the members' certificates; "": the system roots
	Cert, Key      string // PEM files of a client certificate and its key, for members that ask for one
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

// etcdTLS returns the TLS configuration of c, or nil when the endpoints are plain and no certificate is
// given. An https endpoint without a CA uses the system roots.
func etcdTLS(c Config, https bool, plainScheme bool) (*tls.Config, error) {
	if !https && c.CACert == "" && c.Cert == "" && c.Key == "" {
		return nil, nil
	}
	if plainScheme {
		return nil, fmt.Errorf("etcd endpoints %q (%s) are http:// but a TLS certificate is given (etcd.Config.CACert, "+
			"etcd.Config.Cert, etcd.Config.Key): use https:// or host:port", c.Endpoints, endpointsSetting)
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CACert != "" {
		pem, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, fmt.Errorf("etcd CA certificate (etcd.Config.CACert): %w", err)
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd CA certificate %s (etcd.Config.CACert) holds no PEM certificate", c.CACert)
		}
	}
	if (c.Cert == "") != (c.Key == "") {
		return nil, errors.New("etcd client certificate: give both etcd.Config.Cert and etcd.Config.Key, or neither")
	}
	if c.Cert != "" {
		pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("etcd client certificate %s and key %s (etcd.Config.Cert, etcd.Config.Key): %w", c.Cert, c.Key, err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// etcdPassword returns c's password: Password, else the first line of PasswordFile, else "".
func etcdPassword(c Config) (string, error) {
	if c.Password != "" || c.PasswordFile == "" {
		return c.Password, nil
	}
	data, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("etcd password file (etcd.Config.PasswordFile): %w", err)
	}
	password, _, _ := strings.Cut(string(data), "\n")
	password = strings.TrimSuffix(password, "\r")
	if password == "" {
		return "", fmt.Errorf("etcd password file %s (etcd.Config.PasswordFile) is empty", c.PasswordFile)
	}
	return password, nil
}
