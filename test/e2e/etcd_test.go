package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

func etcdFlags(cluster *etcdserver.Cluster) []string {
	return []string{"--distributed", "etcd", "--etcd-endpoints", cluster.Endpoints()}
}

// Three processes on a 3-member cluster: every tick of the every-second job runs exactly once, and after
// a kill -9 of the process that ran the latest tick the others cover every tick.
func TestEtcdThreeProcessesRunEachTickOnce(t *testing.T) {
	t.Parallel()
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	threeProcessesThenKill(t, 15, etcdFlags(cluster)...)
}

// etcdWinner returns the app id that holds the latest tick of service in the cluster, or "".
func etcdWinner(t *testing.T, cluster *etcdserver.Cluster, service string) string {
	client, err := cluster.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	response, err := client.Get(ctx, "/hade/distributed/"+service+"/tick")
	if err != nil || len(response.Kvs) == 0 {
		return ""
	}
	_, winner, _ := strings.Cut(string(response.Kvs[0].Value), "/")
	return winner
}

// A daemon given the etcd password by HADE_ETCD_PASSWORD is restarted with no flags and no environment:
// the new daemon claims through the same cluster with the password, which appears in no output, no file
// the group can read and no command line.
func TestEtcdRestartKeepsTheProviderAndItsPassword(t *testing.T) {
	t.Parallel()
	const password = "etcdpass51"
	cluster := etcdtest.Start(t, etcdserver.Options{Password: password})
	base := t.TempDir()
	flags := append(etcdFlags(cluster), "--etcd-user", "root")
	first, out := startTestappDaemon(t, base, []string{"HADE_ETCD_PASSWORD=" + password}, flags...)
	assertNoSecret(t, "start -d", out, password, base)
	r := run(t, testappBinary, base, nil, "cron", "restart")
	assertNoSecret(t, "restart", r.stdout+r.stderr, password, base)
	match := daemonPID.FindStringSubmatch(r.stdout)
	if r.code != 0 || match == nil || !strings.Contains(r.stdout, fmt.Sprintf("stopped cron process %d", first)) {
		t.Fatalf("restart: exit %d\n%s%s; want the old daemon stopped and a new one started", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "provider etcd "+cluster.Endpoints()+`, key prefix "/hade/", user root`) {
		t.Fatalf("restart printed %q; want the etcd settings it took", r.stdout)
	}
	second, _ := strconv.Atoi(match[1])
	appID := appIDOf(t, base, second)
	waitFor(t, 15*time.Second, "the restarted daemon to win a tick in etcd", func() bool {
		return etcdWinner(t, cluster, "every_second") == appID
	})
	for _, pid := range []int{first, second} {
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			assertNoSecret(t, fmt.Sprintf("the cmdline of daemon %d", pid), string(cmdline), password, base)
		}
	}
	state := run(t, testappBinary, base, []string{"HADE_ETCD_PASSWORD=" + password}, append(flags, "cron", "state")...)
	assertNoSecret(t, "state", state.stdout+state.stderr, password, base)
	if !strings.Contains(state.stdout, "distributed provider: etcd at "+cluster.Endpoints()) || !strings.Contains(state.stdout, "answers") {
		t.Fatalf("state = %q; want the etcd provider, answering", state.stdout)
	}
}

// Bad etcd settings: exit 1 with the setting named and no password shown; `cron list` of a cluster nobody
// serves exits non-zero within the dial timeout (`cron start` waits for it).
func TestEtcdBadSettings(t *testing.T) {
	t.Parallel()
	const password = "etcdpass52"
	cluster := etcdtest.Start(t, etcdserver.Options{Password: password})
	base := t.TempDir()
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte("wrong"+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--etcd-endpoints", "127.0.0.1:2379,nohost"}, `etcd endpoint "nohost" (--etcd-endpoints or HADE_ETCD_ENDPOINTS) is invalid`},
		{nil, []string{"--etcd-endpoints", "127.0.0.1:99999"}, `port "99999" is not a number from 1 to 65535`},
		{nil, []string{"--etcd-endpoints", "127.0.0.1:1", "--etcd-dial-timeout", "1s"}, "etcd at 127.0.0.1:1 (--etcd-endpoints or HADE_ETCD_ENDPOINTS) does not answer"},
		{[]string{"HADE_ETCD_PASSWORD=x" + password}, []string{"--etcd-endpoints", cluster.Endpoints(), "--etcd-user", "root"}, "authentication failed"},
		{nil, []string{"--etcd-endpoints", cluster.Endpoints(), "--etcd-user", "root", "--etcd-password-file", passwordFile}, "authentication failed"},
		{nil, []string{"--etcd-endpoints", cluster.Endpoints(), "--etcd-cacert", "/nonexistent.pem"}, "--etcd-cacert"},
	}
	for _, c := range cases {
		commands := [][]string{{"cron", "list"}, {"cron", "start"}}
		if strings.Contains(c.want, "does not answer") {
			commands = commands[:1] // `cron start` waits for the cluster: TestEtcdStartBeforeTheCluster
		}
		for _, command := range commands {
			started := time.Now()
			r := run(t, testappBinary, base, c.env, append(append([]string{"--distributed", "etcd"}, c.args...), command...)...)
			if r.code == 0 || !strings.Contains(r.stdout+r.stderr, c.want) {
				t.Fatalf("%v %v: exit %d\n%s%s; want non-zero and %q", c.args, command, r.code, r.stdout, r.stderr, c.want)
			}
			assertNoSecret(t, strings.Join(command, " "), r.stdout+r.stderr, password, base)
			if elapsed := time.Since(started); elapsed > 10*time.Second {
				t.Fatalf("%v %v took %s; want an answer within about the dial timeout", c.args, command, elapsed)
			}
		}
	}
}

// The etcd client's own lines go through the process's JSON logger; an outage (every member stopped) is
// logged once at WARN, and its end once, while each tick logs its error.
func TestEtcdClientLinesAreJSONAndOutagesLoggedOnce(t *testing.T) {
	t.Parallel()
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	p := startForeground(t, testappBinary, t.TempDir(), append(etcdFlags(cluster), "--log-level", "debug", "cron", "start")...)
	waitFor(t, 20*time.Second, "a run", func() bool { return len(p.runs()) > 0 })
	for _, m := range cluster.Members {
		if err := m.Pause(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "3 ticks logged as errors", func() bool {
		errors := 0
		for _, line := range p.runs() {
			if line.str("outcome") == "error" {
				errors++
			}
		}
		return errors >= 3
	})
	for _, m := range cluster.Members {
		if err := m.Resume(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "the end of the outage logged", func() bool { return len(p.logged(outageEnded("etcd"))) > 0 })
	if down := p.logged(outageStarted("etcd")); len(down) != 1 {
		t.Fatalf("the outage was logged %d times, want once", len(down))
	}
	if len(p.logged("etcd-client")) == 0 {
		t.Fatal("no etcd-client line at debug during the outage; want the client's retries as JSON lines")
	}
	stopAll(t, []*process{p}, []int{0})
	for _, text := range p.text {
		if text != "tick" { // the job's own output
			t.Fatalf("the process printed lines that are not JSON: %q; want every line in the JSON log", p.text)
		}
	}
}

// `cron start` while no member of the cluster runs (with a user and password, so the client cannot even
// authenticate): it starts, logs once that etcd does not answer, runs nothing, and `cron list` exits
// non-zero within the dial timeout naming etcd and the endpoints; once the members run, the job runs
// within a few seconds.
func TestEtcdStartBeforeTheCluster(t *testing.T) {
	t.Parallel()
	const password = "etcdpass53"
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3, Password: password})
	for _, m := range cluster.Members {
		m.Stop()
	}
	base := t.TempDir()
	env := []string{"HADE_ETCD_PASSWORD=" + password}
	flags := append(etcdFlags(cluster), "--etcd-user", "root", "--etcd-dial-timeout", "1s")
	p := startForegroundEnv(t, testappBinary, base, env, append(flags, "cron", "start")...)
	waitFor(t, 10*time.Second, "cron started", func() bool { return len(p.logged("cron started")) > 0 })
	started := time.Now()
	list := run(t, testappBinary, base, env, append(flags, "cron", "list")...)
	if elapsed := time.Since(started); list.code == 0 || elapsed > 5*time.Second ||
		!strings.Contains(list.stdout+list.stderr, "etcd at "+cluster.Endpoints()) {
		t.Fatalf("cron list: exit %d after %s\n%s%s; want non-zero within about the dial timeout (1s), naming etcd and %s",
			list.code, elapsed, list.stdout, list.stderr, cluster.Endpoints())
	}
	assertNoSecret(t, "list", list.stdout+list.stderr, password, base)
	waitFor(t, 10*time.Second, "3 ticks failed closed", func() bool { return countOutcome(p, "error") >= 3 })
	if ok := countOutcome(p, "ok"); ok != 0 {
		t.Fatalf("%d runs while no member ran; want none (fail closed)", ok)
	}
	for _, m := range cluster.Members {
		if err := m.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	restarted := time.Now()
	waitFor(t, 15*time.Second, "a run once the members run", func() bool { return countOutcome(p, "ok") > 0 })
	t.Logf("first run %s after the members were started", time.Since(restarted).Round(time.Millisecond))
	if down := p.logged(outageStarted("etcd")); len(down) != 1 {
		t.Fatalf("the outage was logged %d times, want once", len(down))
	}
	stopAll(t, []*process{p}, []int{0})
	assertNoSecret(t, "cron start", fmt.Sprint(p.lines, p.text), password, base)
}

// countOutcome returns how many runs p logged with outcome.
func countOutcome(p *process, outcome string) int {
	n := 0
	for _, line := range p.runs() {
		if line.str("outcome") == outcome {
			n++
		}
	}
	return n
}

// Three processes with 50 every-second distributed jobs each, on a 3-member cluster, for 20 s: every
// tick of every job runs exactly once (the load test, through the built binary).
// Not parallel, as the PostgreSQL load test: its load would make the timing tests beside it miss ticks.
func TestEtcdThreeProcessesFiftyJobsEachTickOnce(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	manyJobsEachTickOnce(t, 50, 20, etcdFlags(cluster)...)
}
