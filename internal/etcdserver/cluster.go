// Package etcdserver runs a real etcd cluster (one or more members, each an etcd process) on free loopback
// ports, data in a folder, for the project's tests and load tool.
package etcdserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// ErrNotInstalled is returned by Start when etcd is not on the PATH.
var ErrNotInstalled = errors.New("etcd is not on the PATH")

// Options configure a cluster.
type Options struct {
	Members int // default 1
	// Password, when not empty, turns authentication on with the user root and this password.
	Password string
	// AuthTokenTTL is the members' --auth-token-ttl in seconds (0: etcd's default, 300).
	AuthTokenTTL int
	// TLS, when not nil, makes the client URLs https with these files (PEM).
	TLS *TLSFiles
	// Args are more options of every member, e.g. --auto-compaction-retention=1m.
	Args []string
}

// TLSFiles are the server certificate and key of the members and the CA that signed them. With
// ClientCertAuth the members ask clients for a certificate signed by CA (etcd 3.4 does as soon as it is
// given a trusted CA).
type TLSFiles struct {
	CA, Cert, Key  string
	ClientCertAuth bool
}

// Cluster is a running etcd cluster; Stop it when done.
type Cluster struct {
	Members []*Member
	options Options
	authOn  bool // authentication is enabled: clients log in as root
	binary  string
	dir     string
}

// Start starts a cluster with its data in dir and waits until it has a leader and answers. It returns
// ErrNotInstalled without etcd, or why it did not come up.
func Start(dir string, options Options) (*Cluster, error) {
	binary, err := exec.LookPath("etcd")
	if err != nil {
		return nil, ErrNotInstalled
	}
	if options.Members <= 0 {
		options.Members = 1
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port may be taken before etcd binds it
		c := &Cluster{options: options, binary: binary, dir: filepath.Join(dir, fmt.Sprintf("cluster-%d", attempt))}
		if lastErr = c.start(); lastErr == nil {
			return c, nil
		}
		c.Stop()
	}
	return nil, fmt.Errorf("start etcd: %w", lastErr)
}

func (c *Cluster) start() error {
	var initial []string
	for i := 0; i < c.options.Members; i++ {
		ports, err := freePorts(3)
		if err != nil {
			return err
		}
		m := &Member{Name: fmt.Sprintf("m%d", i), ClientPort: ports[0], PeerPort: ports[1], MetricsPort: ports[2],
			dir: filepath.Join(c.dir, fmt.Sprintf("m%d", i)), cluster: c}
		c.Members = append(c.Members, m)
		initial = append(initial, fmt.Sprintf("%s=http://127.0.0.1:%d", m.Name, m.PeerPort))
	}
	for _, m := range c.Members {
		m.initial = strings.Join(initial, ",")
		if err := m.launch("new"); err != nil {
			return err
		}
	}
	if err := c.WaitReady(20 * time.Second); err != nil {
		return err
	}
	if c.options.Password != "" {
		return c.enableAuth()
	}
	return nil
}

// Endpoints returns the members' client URLs, comma-separated.
func (c *Cluster) Endpoints() string {
	urls := make([]string, len(c.Members))
	for i, m := range c.Members {
		urls[i] = m.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Client returns a client of the cluster as root (when auth is on); the caller closes it.
func (c *Cluster) Client() (*clientv3.Client, error) {
	config := clientv3.Config{Endpoints: strings.Split(c.Endpoints(), ","), DialTimeout: 2 * time.Second, Logger: zap.NewNop()}
	if c.authOn {
		config.Username, config.Password = "root", c.options.Password
	}
	if c.options.TLS != nil {
		tlsConfig, err := clientTLS(c.options.TLS)
		if err != nil {
			return nil, err
		}
		config.TLS = tlsConfig
	}
	return clientv3.New(config)
}

// WaitReady waits until a linearizable read succeeds, at most timeout.
func (c *Cluster) WaitReady(timeout time.Duration) error {
	client, err := c.Client()
	if err != nil {
		return err
	}
	defer client.Close()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range c.Members {
			if m.exitedEarly() {
				return fmt.Errorf("etcd member %s exited: %v\n%s", m.Name, m.waitErr, m.Log())
			}
		}
		ctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(context.Background()), time.Second)
		_, err := client.Get(ctx, "ready")
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("etcd at %s does not answer: %v", c.Endpoints(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// enableAuth adds the user root with the cluster's password and turns authentication on.
func (c *Cluster) enableAuth() error {
	password := c.options.Password
	client, err := c.Client()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.UserAdd(ctx, "root", password); err != nil {
		return fmt.Errorf("add user root: %w", err)
	}
	if _, err := client.UserGrantRole(ctx, "root", "root"); err != nil {
		return fmt.Errorf("grant root: %w", err)
	}
	if _, err := client.AuthEnable(ctx); err != nil {
		return fmt.Errorf("enable auth: %w", err)
	}
	c.authOn = true
	return nil
}

// Leader returns the index of the member that leads now, or -1 when none answers.
func (c *Cluster) Leader() int {
	client, err := c.Client()
	if err != nil {
		return -1
	}
	defer client.Close()
	for i, m := range c.Members {
		if !m.Running() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		status, err := client.Status(ctx, m.ClientURL())
		cancel()
		if err == nil && status.Header.MemberId == status.Leader {
			return i
		}
	}
	return -1
}

// Stop stops every member.
func (c *Cluster) Stop() {
	for _, m := range c.Members {
		m.Stop()
	}
}

func freePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, listener)
		ports[i] = listener.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// clientTLS trusts files.CA and presents the server's certificate as the client's (it is valid for both).
func clientTLS(files *TLSFiles) (*tls.Config, error) {
	pem, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, err
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: newPool(pem)}
	if files.ClientCertAuth {
		pair, err := tls.LoadX509KeyPair(files.Cert, files.Key)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// memberArgs are the command line of m, started with cluster state state ("new" or "existing").
func (m *Member) args(state string) []string {
	scheme := "http"
	if m.cluster.options.TLS != nil {
		scheme = "https"
	}
	client := fmt.Sprintf("%s://127.0.0.1:%d", scheme, m.ClientPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", m.PeerPort)
	args := []string{"--name", m.Name, "--data-dir", filepath.Join(m.dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--listen-metrics-urls", fmt.Sprintf("http://127.0.0.1:%d", m.MetricsPort),
		"--initial-cluster", m.initial, "--initial-cluster-state", state, "--initial-cluster-token", "hade-test",
		"--logger", "zap", "--log-outputs", filepath.Join(m.dir, "etcd.log")}
	args = append(args, m.cluster.options.Args...)
	if ttl := m.cluster.options.AuthTokenTTL; ttl > 0 {
		args = append(args, "--auth-token-ttl", strconv.Itoa(ttl))
	}
	if files := m.cluster.options.TLS; files != nil {
		args = append(args, "--cert-file", files.Cert, "--key-file", files.Key)
		if files.ClientCertAuth {
			args = append(args, "--client-cert-auth", "--trusted-ca-file", files.CA)
		}
	}
	return args
}

// launch starts m's process.
func (m *Member) launch(state string) error {
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return err
	}
	m.cmd = exec.Command(m.cluster.binary, m.args(state)...)
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with a killed test or tool
	m.cmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH="+runtimeArch())
	exited := make(chan struct{})
	m.exited = exited
	if err := m.cmd.Start(); err != nil {
		return err
	}
	go func(cmd *exec.Cmd) {
		m.waitErr = cmd.Wait()
		close(exited)
	}(m.cmd)
	return nil
}
