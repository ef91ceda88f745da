package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/redistest"
)

// startTestappDaemon runs testapp's `cron start -d` with env and args and returns the daemon's pid and
// what start printed; the test stops the base folder's processes at cleanup.
func startTestappDaemon(t *testing.T, base string, env []string, args ...string) (int, string) {
	t.Helper()
	r := run(t, testappBinary, base, env, append([]string{"cron", "start", "-d"}, args...)...)
	match := daemonPID.FindStringSubmatch(r.stdout)
	if r.code != 0 || match == nil {
		t.Fatalf("start -d %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { run(t, testappBinary, base, nil, "cron", "stop", "--timeout", "5s") })
	pid, _ := strconv.Atoi(match[1])
	return pid, r.stdout + r.stderr
}

var stateAppID = regexp.MustCompile(`cron is running: pid (\d+), .*app_id ([0-9a-f-]{36})`)

// appIDOf returns the app id `cron state` shows for pid.
func appIDOf(t *testing.T, base string, pid int) string {
	t.Helper()
	out := mustRun(t, testappBinary, base, "cron", "state")
	for _, match := range stateAppID.FindAllStringSubmatch(out, -1) {
		if match[1] == strconv.Itoa(pid) {
			return match[2]
		}
	}
	t.Fatalf("state does not show pid %d: %q", pid, out)
	return ""
}

// A Redis-backed daemon restarted with no flags and no environment still claims through the same Redis,
// with its password.
func TestOpsRestartKeepsTheRedisProvider(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "restartpw")
	base := t.TempDir()
	first, _ := startTestappDaemon(t, base, nil, redisFlags(server)...)
	out := mustRun(t, testappBinary, base, "cron", "restart")
	match := daemonPID.FindStringSubmatch(out)
	if match == nil || !strings.Contains(out, fmt.Sprintf("stopped cron process %d", first)) {
		t.Fatalf("restart printed %q; want the old daemon stopped and a new one started", out)
	}
	second, _ := strconv.Atoi(match[1])
	appID := appIDOf(t, base, second)
	client := server.Client()
	defer client.Close()
	waitFor(t, 15*time.Second, "the restarted daemon to win a tick in Redis", func() bool {
		winner, err := client.HGet(context.Background(), "hade:distributed:every_second", "winner").Result()
		return err == nil && winner == appID
	})
	if !strings.Contains(out, "provider redis redis://:xxxxx@127.0.0.1:") {
		t.Fatalf("restart printed %q; want the settings it took, password redacted", out)
	}
	state := mustRun(t, testappBinary, base, "cron", "state")
	if !strings.Contains(state, fmt.Sprintf("cron is running: pid %d", second)) || !strings.Contains(state, "provider redis redis://:xxxxx@127.0.0.1:") {
		t.Fatalf("state = %q; want the restarted daemon with its Redis provider, password redacted", state)
	}
	started := 0
	for _, line := range readLog(t, filepath.Join(base, "storage", "log", "cron.log")) {
		if line.str("msg") == "cron started" {
			started++
			if settings := line.str("settings"); !strings.Contains(settings, "provider redis redis://:xxxxx@127.0.0.1:") {
				t.Fatalf("the daemon's start line %v does not name its provider (password redacted)", line)
			}
		}
	}
	if started != 2 {
		t.Fatalf("cron.log has %d start lines, want 2 (the first daemon and the restarted one)", started)
	}
}

// assertNoSecret fails when a password appears in text, or in a file under base's storage/ that the group
// or others may read.
func assertNoSecret(t *testing.T, what, text, password, base string) {
	t.Helper()
	if strings.Contains(text, password) {
		t.Fatalf("%s shows the password %q:\n%s", what, password, text)
	}
	err := filepath.WalkDir(filepath.Join(base, "storage"), func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err == nil && strings.Contains(string(data), password) && info.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("%s (mode %v) holds the password", path, info.Mode().Perm())
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after %s: %v", what, err)
	}
}

// A password given by flag never reaches the daemon's command line, an output, or a file the group can
// read; a malformed URL's password is never printed.
func TestOpsNoPasswordInFilesOutputsOrCommandLines(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "flagpass42")
	base := t.TempDir()
	first, out := startTestappDaemon(t, base, nil, redisFlags(server)...)
	assertNoSecret(t, "start -d", out, "flagpass42", base)
	private, _ := filepath.Glob(filepath.Join(base, "storage", "runtime", "cron.*.private"))
	if len(private) != 1 {
		t.Fatalf("want one private settings file for the daemon, found %v", private)
	}
	commands := [][]string{
		append(redisFlags(server), "cron", "state"), append(redisFlags(server), "cron", "list"),
		{"cron", "state"}, {"cron", "restart"},
	}
	for _, args := range commands {
		r := run(t, testappBinary, base, nil, args...)
		assertNoSecret(t, strings.Join(args[len(args)-2:], " "), r.stdout+r.stderr, "flagpass42", base)
	}
	pids := []int{first, daemonPIDs(t, base)[0]}
	for _, pid := range pids {
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			assertNoSecret(t, fmt.Sprintf("the cmdline of daemon %d", pid), string(cmdline), "flagpass42", base)
		}
	}
	r := run(t, testappBinary, base, nil, "cron", "stop")
	assertNoSecret(t, "stop", r.stdout+r.stderr, "flagpass42", base)

	for _, url := range []string{"redis://:badpass77%zz@127.0.0.1:1/0", "redis://:badpass78@127.0.0.1:notaport/0"} {
		for _, args := range [][]string{{"cron", "start"}, {"cron", "start", "-d"}, {"cron", "state"}, {"cron", "list"}} {
			r := run(t, testappBinary, base, nil, append([]string{"--distributed", "redis", "--redis-url", url}, args...)...)
			if r.code == 0 {
				t.Fatalf("%v with %s exited 0", args, url)
			}
			assertNoSecret(t, strings.Join(args, " ")+" with "+url, r.stdout+r.stderr, "badpass7", base)
		}
	}
}

// daemonPIDs returns the pids `cron state` lists as running daemons.
func daemonPIDs(t *testing.T, base string) []int {
	t.Helper()
	var pids []int
	for _, match := range regexp.MustCompile(`cron is running: pid (\d+), [^\n]*, daemon,`).FindAllStringSubmatch(mustRun(t, testappBinary, base, "cron", "state"), -1) {
		pid, _ := strconv.Atoi(match[1])
		pids = append(pids, pid)
	}
	return pids
}

// A build with a bad registration still stops the daemon of a good one (and warns); the commands that
// run jobs refuse.
func TestOpsBadBuildStopsARunningDaemon(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	invalid := []string{"TESTAPP_REGISTRATIONS=invalid"}
	pid, _ := startTestappDaemon(t, base, nil)
	for _, args := range [][]string{{"cron", "state"}, {"cron", "list"}, {"help"}, {"--help"}, {"cron", "stop", "--help"}, {"completion", "bash"}, {"help", "cron"}} {
		r := run(t, testappBinary, base, invalid, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "Warning: invalid cron registrations") || !strings.Contains(r.stderr, `invalid spec "61 * * * * *"`) {
			t.Fatalf("%v with a bad registration: exit %d, stderr %q; want exit 0 and the warning", args, r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{"cron", "start"}, {"tick"}} {
		if r := run(t, testappBinary, base, invalid, args...); r.code == 0 {
			t.Fatalf("%v with a bad registration exited 0: %q", args, r.stdout)
		}
	}
	r := run(t, testappBinary, base, invalid, "cron", "restart")
	if r.code == 0 || !strings.Contains(r.stderr, "no daemon was started") || processAlive(pid) {
		t.Fatalf("restart with a bad registration: exit %d, %q %q, old daemon alive %v; want it stopped and no new one", r.code, r.stdout, r.stderr, processAlive(pid))
	}
	pid, _ = startTestappDaemon(t, base, nil)
	r = run(t, testappBinary, base, invalid, "cron", "stop")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("stopped cron process %d", pid)) || processAlive(pid) {
		t.Fatalf("stop with a bad registration: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// state, stop and list in a folder where cron never ran create nothing; state exits 3 and says where it
// looked.
func TestOpsEmptyFolderCreatesNothing(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := run(t, hadeBinary, base, nil, "cron", "state")
	if r.code != 3 || !strings.Contains(r.stdout, filepath.Join(base, "storage", "runtime")) || !strings.Contains(r.stdout, "--base-folder") {
		t.Fatalf("state in an empty folder: exit %d, %q; want 3, where it looked and how to point elsewhere", r.code, r.stdout)
	}
	for _, args := range [][]string{{"cron", "stop"}, {"cron", "list"}} {
		if r := run(t, hadeBinary, base, nil, args...); r.code != 0 {
			t.Fatalf("%v in an empty folder: exit %d %q", args, r.code, r.stderr)
		}
	}
	if entries, err := os.ReadDir(base); err != nil || len(entries) != 0 {
		t.Fatalf("the empty folder now holds %v (%v)", entries, err)
	}
}

// One daemon per base folder: a second `start -d` refuses naming the first, also when two start at once;
// --allow-another-daemon and foreground processes are allowed.
func TestOpsOneDaemonPerBaseFolder(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	t.Cleanup(func() { run(t, testappBinary, base, nil, "cron", "stop", "--timeout", "5s") })
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = run(t, testappBinary, base, nil, "cron", "start", "-d") })
	}
	wg.Wait()
	if (results[0].code == 0) == (results[1].code == 0) {
		t.Fatalf("two start -d at once: exits %d and %d; want one refusal\n%+v", results[0].code, results[1].code, results)
	}
	winner, loser := results[0], results[1]
	if winner.code != 0 {
		winner, loser = loser, winner
	}
	pid := daemonPID.FindStringSubmatch(winner.stdout)[1]
	if !strings.Contains(loser.stderr, "a cron daemon already runs") || !strings.Contains(loser.stderr, "pid "+pid) {
		t.Fatalf("the refused start said %q; want the running daemon's pid %s", loser.stderr, pid)
	}
	r := run(t, testappBinary, base, nil, "cron", "start", "-d")
	if r.code == 0 || !strings.Contains(r.stderr, "pid "+pid) || !strings.Contains(r.stderr, "--allow-another-daemon") {
		t.Fatalf("start -d with a daemon running: exit %d, %q", r.code, r.stderr)
	}
	startTestappDaemon(t, base, nil, "--allow-another-daemon")
	if pids := daemonPIDs(t, base); len(pids) != 2 {
		t.Fatalf("daemons after --allow-another-daemon: %v", pids)
	}
	// beside them a foreground process claims ticks too (at debug level its lost claims are logged as well:
	// which process wins a tick is not for this test to say)
	p := startForeground(t, testappBinary, base, "--log-level", "debug", "cron", "start")
	waitFor(t, 15*time.Second, "a claimed tick of a foreground process beside the daemons", func() bool { return len(p.runs()) > 0 })
}

func TestOpsExitCodes(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cron", "stop", "--pid", "999999"}, "pid 999999 is not a running cron process"},
		{[]string{"cron", "bogus"}, `unknown command "bogus" for "testapp cron"`},
		{[]string{"cron", "stat"}, "did you mean"},
		{[]string{"--distributed", "redis", "--redis-url", "redis://127.0.0.1:1/0", "cron", "list"}, "does not answer"},
	} {
		r := run(t, testappBinary, base, nil, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Fatalf("%v: exit %d, stderr %q; want exit 1 and %q", c.args, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, "pool.go") { // go-redis's own plain-text logger
			t.Fatalf("%v: go-redis wrote plain text to stderr: %q", c.args, r.stderr)
		}
	}
	pid, _ := startTestappDaemon(t, base, nil)
	if r := run(t, testappBinary, base, nil, "cron", "state"); r.code != 0 {
		t.Fatalf("state with daemon %d running exited %d", pid, r.code)
	}
	mustRun(t, testappBinary, base, "cron", "stop")
	if r := run(t, testappBinary, base, nil, "cron", "state"); r.code != 3 || !strings.Contains(r.stdout, "no locked pidfile in") {
		t.Fatalf("state after stop: exit %d, %q; want 3", r.code, r.stdout)
	}
}

// A pidfile written in another pid namespace, whose lock is held, is listed as such, never signalled,
// and counts as a daemon of the folder. Its pid here is a live process (the lock holder) that a stop
// trusting the pid would kill.
func TestOpsForeignNamespacePidfileIsNotSignalled(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	runtime := filepath.Join(base, "storage", "runtime")
	if err := os.MkdirAll(runtime, 0o750); err != nil {
		t.Fatal(err)
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Skip("no boot id:", err)
	}
	// a shell writes the pidfile with its own pid, locks it (flock(1) on a descriptor exec keeps) and
	// becomes sleep with that pid, as a cron process of another namespace would hold it
	record := `{"pid":%d,"app_id":"other","mode":"daemon","started_at":"2026-01-01T00:00:00Z",` +
		`"log":"/elsewhere/cron.log","pid_namespace":"pid:[1]","boot_id":"` + strings.TrimSpace(string(boot)) + `"}`
	script := `f="$1/cron.$$.pid"; printf '` + record + `' $$ > "$f"; exec 9<>"$f"; flock --exclusive 9 && echo locked && exec sleep 60`
	holder := exec.Command("/bin/sh", "-c", script, "sh", runtime)
	stdout, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	ready := make([]byte, len("locked"))
	if _, err := io.ReadFull(stdout, ready); err != nil || string(ready) != "locked" {
		t.Skipf("flock(1) is needed to hold the pidfile: %q %v", ready, err)
	}
	pid := holder.Process.Pid

	r := run(t, testappBinary, base, nil, "cron", "stop", "--timeout", "1s")
	if r.code != 0 || !strings.Contains(r.stdout, "not signalled") || !strings.Contains(r.stdout, "another pid namespace (pid:[1])") {
		t.Fatalf("stop: exit %d, %q %q; want the foreign process named and not signalled", r.code, r.stdout, r.stderr)
	}
	if r := run(t, testappBinary, base, nil, "cron", "stop", "--pid", strconv.Itoa(pid)); r.code != 1 {
		t.Fatalf("stop --pid %d of another namespace: exit %d, %q", pid, r.code, r.stderr)
	}
	r = run(t, testappBinary, base, nil, "cron", "state")
	if r.code != 3 || !strings.Contains(r.stdout, "another pid namespace (pid:[1]), not trusted here") {
		t.Fatalf("state: exit %d, %q; want 3 and the foreign process listed as such", r.code, r.stdout)
	}
	if r := run(t, testappBinary, base, nil, "cron", "start", "-d"); r.code == 0 || !strings.Contains(r.stderr, "of another pid namespace") {
		t.Fatalf("start -d beside a foreign daemon: exit %d, %q", r.code, r.stderr)
	}
	if !processAlive(pid) {
		t.Fatalf("the process with the foreign pidfile's pid %d was killed", pid)
	}
}

// `cron stop` returns once the process has exited, not when it released its pidfile.
func TestOpsStopReturnsOnceTheProcessExited(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	pid, _ := startTestappDaemon(t, base, []string{"TESTAPP_EXIT_DELAY=2s"})
	out := mustRun(t, testappBinary, base, "cron", "stop")
	if processAlive(pid) {
		t.Fatalf("daemon %d is alive after stop returned %q", pid, out)
	}
}

// A daemon killed by `stop --timeout` with a run going gets a line in its log naming the kill.
func TestOpsKillIsRecordedInTheDaemonLog(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	pid, _ := startTestappDaemon(t, base, []string{"TESTAPP_REGISTRATIONS=stubborn"}, "--drain-timeout", "30s")
	output := filepath.Join(base, "storage", "log", "cron.output.log")
	waitFor(t, 10*time.Second, "the stubborn job to start", func() bool {
		data, _ := os.ReadFile(output)
		return strings.Contains(string(data), "stubborn started")
	})
	out := mustRun(t, testappBinary, base, "cron", "stop", "--timeout", "1s")
	logPath := filepath.Join(base, "storage", "log", "cron.log")
	if !strings.Contains(out, fmt.Sprintf("killed cron process %d with SIGKILL", pid)) || !strings.Contains(out, logPath) {
		t.Fatalf("stop printed %q; want the kill and where it is recorded", out)
	}
	lines := readLog(t, logPath)
	last := lines[len(lines)-1]
	if last.str("msg") != "cron killed" || last.str("signal") != "SIGKILL" || last.str("level") != "ERROR" || int(last["pid"].(float64)) != pid {
		t.Fatalf("the daemon's last log line is %v; want cron killed with SIGKILL", last)
	}
}

// assertNotRunning fails unless `cron state` says nothing runs and exits 3.
func assertNotRunning(t *testing.T, binary, base string) {
	t.Helper()
	r := run(t, binary, base, nil, "cron", "state")
	if r.code != 3 || !strings.Contains(r.stdout, "cron is not running") {
		t.Fatalf("state: exit %d, %q %q; want 3 and cron is not running", r.code, r.stdout, r.stderr)
	}
}
