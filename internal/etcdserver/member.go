package etcdserver

import (
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Member is one etcd process of a Cluster.
type Member struct {
	Name        string
	ClientPort  int
	PeerPort    int
	MetricsPort int // plain http /metrics

	cluster *Cluster
	dir     string
	initial string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// ClientURL returns the member's client URL.
func (m *Member) ClientURL() string {
	if m.cluster.options.TLS != nil {
		return fmt.Sprintf("https://127.0.0.1:%d", m.ClientPort)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", m.ClientPort)
}

// Running reports whether the member's process runs (it may be paused).
func (m *Member) Running() bool {
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

func (m *Member) exitedEarly() bool { return m.cmd != nil && !m.Running() }

// Log returns the member's log file.
func (m *Member) Log() string {
	data, _ := os.ReadFile(filepath.Join(m.dir, "etcd.log"))
	return string(data)
}

// Kill kills the member's process (SIGKILL) and waits for it.
func (m *Member) Kill() {
	if !m.Running() {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
}

// Restart starts a killed or stopped member again with its data.
func (m *Member) Restart() error {
	m.Stop()
	return m.launch("existing")
}

// Pause stops the member's process (SIGSTOP): connections stay open but nothing answers.
func (m *Member) Pause() error { return m.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused member (SIGCONT).
func (m *Member) Resume() error { return m.cmd.Process.Signal(syscall.SIGCONT) }

// Stop stops the member (SIGTERM, then SIGKILL after 5s) and waits for it.
func (m *Member) Stop() {
	if !m.Running() {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGCONT) // in case it was paused
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		m.Kill()
	}
}

// Metric returns the sum of the samples of the Prometheus counter name whose labels contain every one of
// labels (e.g. `type="Txn"`), read from the member's /metrics.
func (m *Member) Metric(name string, labels ...string) (float64, error) {
	sums, err := m.MetricBy(name, "", labels...)
	return sums[""], err
}

// MetricBy returns the sums of the samples of the Prometheus counter name whose labels contain every one
// of labels, by the value of the label by (e.g. "grpc_method": {"Txn": 12, "Range": 3}; by "": one sum
// under ""), read from the member's /metrics. A sample without the label by counts under "".
func (m *Member) MetricBy(name, by string, labels ...string) (map[string]float64, error) {
	client := http.Client{Timeout: 2 * time.Second}
	response, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", m.MetricsPort))
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		return nil, err
	}
	sums := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") || !containsAll(line, labels) {
			continue
		}
		fields := strings.Fields(line)
		value, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return nil, fmt.Errorf("metric line %q: %w", line, err)
		}
		sums[labelValue(line, by)] += value
	}
	return sums, nil
}

// labelValue returns the value of label in a Prometheus sample line (`name{a="x",b="y"} 1`), "" when
// label is "" or the line does not have it.
func labelValue(line, label string) string {
	if label == "" {
		return ""
	}
	_, rest, found := strings.Cut(line, "{"+label+`="`)
	if !found {
		_, rest, found = strings.Cut(line, ","+label+`="`)
	}
	if !found {
		return ""
	}
	value, _, _ := strings.Cut(rest, `"`)
	return value
}

func containsAll(line string, parts []string) bool {
	for _, part := range parts {
		if !strings.Contains(line, part) {
			return false
		}
	}
	return true
}

func newPool(pem []byte) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return pool
}

func runtimeArch() string { return runtime.GOARCH }

// Pid returns the pid of the member's etcd process, 0 when it does not run.
func (m *Member) Pid() int {
	if !m.Running() {
		return 0
	}
	return m.cmd.Process.Pid
}
