package etcd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// newTestEtcd returns an etcd backend for config with the prefix "/test/" unless config has one, closed
// at t's cleanup.
func newTestEtcd(t *testing.T, config Config) *etcdBackend {
	t.Helper()
	if config.Prefix == "" {
		config.Prefix = "/test/"
	}
	backend, err := newEtcd(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := backend.Close(); err != nil {
			t.Error(err)
		}
	})
	return backend
}

// etcdTxns returns how many Txn requests the members of cluster have handled.
func etcdTxns(t *testing.T, cluster *etcdserver.Cluster) float64 {
	t.Helper()
	var sum float64
	for _, m := range cluster.Members {
		value, err := m.Metric("grpc_server_handled_total", `grpc_method="Txn"`)
		if err != nil {
			t.Fatal(err)
		}
		sum += value
	}
	return sum
}

// claimRequests returns n claims of services batch-0… at tick by app, to pass to send by hand.
func claimRequests(backend *etcdBackend, n int, app string, tick time.Time) []*etcdRequest {
	requests := make([]*etcdRequest, n)
	for i := range requests {
		c := contract.Claim{Service: fmt.Sprintf("batch-%d", i), AppID: app, Tick: tick, HoldTime: time.Minute,
			Definition: "test", LiveUntil: tick.Add(time.Minute)}
		key, _, _ := backend.fenceKeys(c.Service)
		requests[i] = newClaimRequest(context.Background(), c, key, time.Minute)
	}
	return requests
}

// replies returns the app ids answered to requests, or fails t.
func replies(t *testing.T, requests []*etcdRequest) []string {
	t.Helper()
	selected := make([]string, len(requests))
	for i, request := range requests {
		reply := <-request.Replied()
		answer := reply.Value
		if reply.Err != nil || answer.err != nil {
			t.Fatalf("claim %d: %v, %v", i, reply.Err, answer.err)
		}
		selected[i] = answer.claimed.Holder
	}
	return selected
}

// 300 claims made at once are one Txn request (in groups: txn_layout.go), each claim decided on its own.
func TestEtcdBatchOf300ClaimsIsOneRequest(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, RequestTimeout: 10 * time.Second}) // a loaded machine times out no request
	tick := time.UnixMicro(time.Now().UnixMicro())
	for round, app := range []string{"a", "b"} {
		requests := claimRequests(backend, 300, app, tick)
		before := etcdTxns(t, cluster)
		if retries := backend.send(slices.Clone(requests)); len(retries) != 0 {
			t.Fatalf("round %d: %d claims to send again", round, len(retries))
		}
		if sent := etcdTxns(t, cluster) - before; sent != 1 {
			t.Fatalf("round %d: 300 claims took %v Txn requests, want 1", round, sent)
		}
		for i, selected := range replies(t, requests) {
			if selected != "a" {
				t.Fatalf("round %d (app %s): claim %d selected %q, want a", round, app, i, selected)
			}
		}
	}
}

// A claim whose requests time out while the members are paused is sent again; once they answer, it
// learns that it holds the tick (its first request may have been applied), and so does another claimer.
func TestEtcdClaimResentAfterTimeoutReturnsItsWinner(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, RequestTimeout: 300 * time.Millisecond})
	other := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}})
	for _, m := range cluster.Members {
		if err := m.Pause(); err != nil {
			t.Fatal(err)
		}
	}
	tick := time.Now()
	done := make(chan error, 1)
	go func() {
		selected, err := claim(backend, "resent", "app", tick, 10*time.Second)
		if err == nil && selected != "app" {
			err = fmt.Errorf("selected %q", selected)
		}
		done <- err
	}()
	time.Sleep(time.Second) // three timeouts
	for _, m := range cluster.Members {
		if err := m.Resume(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("claim re-sent after timeouts: %v; want app", err)
	}
	if selected, err := claim(other, "resent", "other", tick, 10*time.Second); err != nil || selected != "app" {
		t.Fatalf("another claimer of the tick: %q, %v; want app", selected, err)
	}
}

// wins counts the ticks won per service and tick, across claimers.
type wins struct {
	mu     sync.Mutex
	byTick map[string]int
	byApp  map[string]int
	first  time.Time // when the first win was answered
	last   time.Time // when the latest win was answered
	errors int
}

// claimEvery makes each backend claim every service at every interval-aligned tick until stop, as
// separate processes would, and records the wins.
func claimEvery(t *testing.T, backends []*etcdBackend, services int, interval, hold time.Duration, stop time.Time) *wins {
	w := &wins{byTick: map[string]int{}, byApp: map[string]int{}}
	var wg sync.WaitGroup
	for i, backend := range backends {
		app := fmt.Sprintf("app-%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tick := backend.now().Truncate(interval).Add(interval); tick.Before(stop); tick = tick.Add(interval) {
				time.Sleep(tick.Sub(backend.now())) // fire by the claimer's own clock
				var claims sync.WaitGroup
				for s := 0; s < services; s++ {
					claims.Add(1)
					go func() {
						defer claims.Done()
						service := fmt.Sprintf("svc-%d", s)
						selected, err := claim(backend, service, app, tick, hold)
						w.record(service, tick, app, selected, err)
					}()
				}
				claims.Wait()
			}
		}()
	}
	wg.Wait()
	return w
}

func (w *wins) record(service string, tick time.Time, app, selected string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil && !errors.Is(err, contract.ErrTickClosed):
		w.errors++
	case err == nil && selected == app:
		w.byTick[service+"@"+rules.FormatTime(tick)]++
		w.byApp[app]++
		w.last = time.Now()
		if w.first.IsZero() {
			w.first = w.last
		}
	}
}

// doubled returns the service ticks won more than once.
func (w *wins) doubled() []string {
	var doubled []string
	for key, n := range w.byTick {
		if n > 1 {
			doubled = append(doubled, fmt.Sprintf("%s ×%d", key, n))
		}
	}
	return doubled
}

// A kill -9 of the leader while 3 claimers claim 20 services every 200ms: no tick is won twice, and
// claims win again after the election.
func TestEtcdLeaderKillDoublesNothingAndClaimsResume(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	backends := make([]*etcdBackend, 3)
	for i := range backends {
		backends[i] = newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}})
	}
	start := time.Now()
	killed := make(chan int, 1)
	go func() {
		time.Sleep(2 * time.Second)
		leader := cluster.Leader()
		if leader >= 0 {
			cluster.Members[leader].Kill()
		}
		killed <- leader
	}()
	w := claimEvery(t, backends, 20, 200*time.Millisecond, time.Second, start.Add(7*time.Second))
	if leader := <-killed; leader < 0 {
		t.Fatal("no leader to kill")
	}
	if doubled := w.doubled(); len(doubled) > 0 {
		t.Fatalf("ticks won twice: %v", doubled)
	}
	if resumed := w.last.Sub(start); resumed < 6*time.Second {
		t.Fatalf("the latest win came %s after the start, before the leader kill + 4s: claims did not resume", resumed)
	}
	t.Logf("%d service ticks won, %d claim errors", len(w.byTick), w.errors)
}

// With two of three members stopped (SIGSTOP) no claim wins (they fail: fail closed), and each backend
// logs the outage once, not once per claim; once they continue, claims win again and each backend logs it.
func TestEtcdNoQuorumNoWinsThenRecovery(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	var logged lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))
	backends := []*etcdBackend{
		newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, RequestTimeout: 300 * time.Millisecond, Logger: logger}),
		newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, RequestTimeout: 300 * time.Millisecond, Logger: logger}),
	}
	for _, m := range cluster.Members[:2] {
		if err := m.Pause(); err != nil {
			t.Fatal(err)
		}
	}
	w := claimEvery(t, backends, 5, 250*time.Millisecond, time.Second, time.Now().Add(3*time.Second))
	if len(w.byTick) > 0 || w.errors == 0 {
		t.Fatalf("without quorum: %d ticks won, %d errors; want none won, errors", len(w.byTick), w.errors)
	}
	for _, m := range cluster.Members[:2] {
		if err := m.Resume(); err != nil {
			t.Fatal(err)
		}
	}
	resumed := time.Now()
	// the first win came 0.8 to 4.3 s after the resume on a 2-core machine (the election the resumed members
	// hold); 8 s leaves a loaded machine room
	w = claimEvery(t, backends, 5, 250*time.Millisecond, time.Second, resumed.Add(8*time.Second))
	if len(w.byTick) == 0 || len(w.doubled()) > 0 {
		t.Fatalf("after quorum returned: %d ticks won (doubled %v); want wins, none doubled", len(w.byTick), w.doubled())
	}
	t.Logf("first win %s after quorum returned", w.first.Sub(resumed))
	text := logged.String()
	down, up := strings.Count(text, `"msg":"etcd does not answer`), strings.Count(text, `"msg":"etcd answers again`)
	// each backend made about 60 claims in the outage; the election after it may fail a request or two
	if down < 2 || down > 4 || up != down || strings.Contains(text, "retrying of unary invoker") {
		t.Fatalf("2 backends logged %d outages and %d recoveries; want 2 (up to 4 if one flapped at the election "+
			"after it), each ended, and no client retry line at info:\n%s", down, up, text)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu     sync.Mutex
	buffer bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buffer.String()
}

// Authentication: a wrong password is refused with a clear error that does not show it; the right one
// claims on across the members' token lifetime (2s), which runs out several times.
func TestEtcdAuthAndExpiringTokens(t *testing.T) {
	const password = "authpass61"
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3, Password: password, AuthTokenTTL: 2})
	_, err := newEtcd(Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints()), Username: "root", Password: "wrong" + password[5:]}})
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), password[5:]) {
		t.Fatalf("wrong password: %v; want an authentication error without the password", err)
	}
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints()), Username: "root", Password: password}})
	if err := backend.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := claimEvery(t, []*etcdBackend{backend}, 3, 500*time.Millisecond, time.Second, time.Now().Add(7*time.Second))
	if w.errors > 0 || len(w.byTick) < 3*12 {
		t.Fatalf("over 7s with tokens of 2s: %d ticks won, %d errors; want every tick (about 42), no error", len(w.byTick), w.errors)
	}
}

// TLS with a CA made here: with --etcd-cacert claims win; without it the error names the certificate;
// members that ask for a client certificate get one with --etcd-cert and --etcd-key.
func TestEtcdTLS(t *testing.T) {
	files, err := etcdserver.WriteTLSFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1, TLS: files})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints()), TLS: tlsFiles(t, files.CA, "", "")}})
	if selected, err := claim(backend, "tls", "app", time.Now(), time.Second); err != nil || selected != "app" {
		t.Fatalf("claim over TLS: %q, %v", selected, err)
	}
	untrusted := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints()), DialTimeout: time.Second}})
	if err := untrusted.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("TLS without the CA: %v; want an error naming the certificate", err)
	}

	withClientCerts := *files
	withClientCerts.ClientCertAuth = true
	mutual := etcdtest.Start(t, etcdserver.Options{Members: 1, TLS: &withClientCerts})
	backend = newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(mutual.Endpoints()), TLS: tlsFiles(t, files.CA, files.Cert, files.Key)}})
	if selected, err := claim(backend, "tls", "app", time.Now(), time.Second); err != nil || selected != "app" {
		t.Fatalf("claim over TLS with a client certificate: %q, %v", selected, err)
	}
	anonymous := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(mutual.Endpoints()), TLS: tlsFiles(t, files.CA, "", ""), DialTimeout: time.Second}})
	if err := anonymous.Ping(context.Background()); err == nil {
		t.Fatal("TLS without the client certificate the members ask for: answered; want an error")
	}
}

// tlsFiles returns the TLS configuration of the PEM files, as --etcd-cacert, --etcd-cert and --etcd-key
// give it; it fails t when they cannot be read.
func tlsFiles(t *testing.T, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	config, err := tlsFromFiles(caFile, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return config
}

// Claimers whose clocks are off by -1.5s, 0 and +0.7s (hold 1s), each firing by its own clock: no tick is
// won twice.
func TestEtcdClockSkewNeverDoubles(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	offsets := []time.Duration{-1500 * time.Millisecond, 0, 700 * time.Millisecond}
	backends := make([]*etcdBackend, len(offsets))
	for i, offset := range offsets {
		backends[i] = newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}})
		backends[i].now = func() time.Time { return time.Now().Add(offset) }
	}
	w := claimEvery(t, backends, 5, 200*time.Millisecond, time.Second, time.Now().Add(3*time.Second))
	if doubled := w.doubled(); len(doubled) > 0 || len(w.byTick) == 0 {
		t.Fatalf("skewed claimers: %d won, doubled %v; want wins, none doubled", len(w.byTick), doubled)
	}
	t.Logf("wins per claimer: %v", w.byApp)
}
