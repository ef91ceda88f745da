package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestForegroundRunsFooEverySecondAndExitsZeroOnSIGINT(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	p := startForeground(t, hadeBinary, base, "cron", "start")
	normalOK := func() []logLine {
		var lines []logLine
		for _, line := range p.runs() {
			if line.str("type") == "normal" && line.str("outcome") == "ok" {
				lines = append(lines, line)
			}
		}
		return lines
	}
	waitFor(t, 15*time.Second, "3 runs of foo", func() bool { return len(normalOK()) >= 3 })
	// the process title library must not hide the command line of processes that do not set a title
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.cmd.Process.Pid))
	if err != nil || !strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), "cron start") {
		t.Fatalf("foreground cmdline %q, %v; want it to show cron start", cmdline, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("cron start exited with %v after SIGINT, want exit status 0", p.err)
	}
	lines := normalOK()
	for i := 1; i < len(lines); i++ {
		previous, _ := time.Parse(time.RFC3339, lines[i-1].str("tick"))
		tick, _ := time.Parse(time.RFC3339, lines[i].str("tick"))
		if tick.Sub(previous) != time.Second {
			t.Fatalf("foo ran at ticks %s then %s, want every second", previous, tick)
		}
	}
	if lines[0].str("job") != "foo" || len(lines[0].str("app_id")) != 36 {
		t.Fatalf("run line %v: want job foo and a UUID app_id", lines[0])
	}
	printed := strings.Join(p.text, "\n")
	if !strings.Contains(printed, "execute foo command") {
		t.Fatalf("foo's output is missing: %q", printed)
	}
	last := p.lines[len(p.lines)-1]
	if last.str("msg") != "cron stopped" {
		t.Fatalf("the last line is %v, want cron stopped", last)
	}
	assertNotRunning(t, hadeBinary, base)
}

var daemonPID = regexp.MustCompile(`cron daemon started: pid (\d+)`)

// startDaemon runs `cron start -d` and returns the daemon's pid; the test stops it at cleanup.
func startDaemon(t *testing.T, base string, args ...string) int {
	t.Helper()
	out := mustRun(t, hadeBinary, base, append([]string{"cron", "start", "-d"}, args...)...)
	match := daemonPID.FindStringSubmatch(out)
	if match == nil {
		t.Fatalf("start -d printed %q, want the daemon's pid", out)
	}
	pid, _ := strconv.Atoi(match[1])
	t.Cleanup(func() { run(t, hadeBinary, base, nil, "cron", "stop", "--timeout", "5s") })
	return pid
}

func TestDaemonStartStateStopState(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	pid := startDaemon(t, base)
	if !processAlive(pid) {
		t.Fatalf("daemon %d is not alive right after start -d returned", pid)
	}
	state := mustRun(t, hadeBinary, base, "cron", "state")
	if !strings.Contains(state, fmt.Sprintf("cron is running: pid %d, since ", pid)) || !strings.Contains(state, "daemon") {
		t.Fatalf("state = %q, want running with pid %d", state, pid)
	}
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); !strings.HasPrefix(string(cmdline), "hade cron") {
		t.Fatalf("daemon title %q, want it to start with \"hade cron\"", cmdline)
	}
	logPath := filepath.Join(base, "storage", "log", "cron.log")
	waitFor(t, 10*time.Second, "a foo run in the daemon's log", func() bool {
		for _, line := range readLog(t, logPath) {
			if line.str("msg") == "cron run" && line.str("outcome") == "ok" {
				return true
			}
		}
		return false
	})
	if out, _ := os.ReadFile(filepath.Join(base, "storage", "log", "cron.output.log")); !strings.Contains(string(out), "execute foo command") {
		t.Fatalf("the daemon's output file lacks foo's output: %q", out)
	}

	stop := mustRun(t, hadeBinary, base, "cron", "stop")
	if !strings.Contains(stop, fmt.Sprintf("stopped cron process %d", pid)) {
		t.Fatalf("stop = %q", stop)
	}
	if processAlive(pid) {
		t.Fatalf("daemon %d is alive after stop returned", pid)
	}
	assertNotRunning(t, hadeBinary, base)
	if again := mustRun(t, hadeBinary, base, "cron", "stop"); !strings.Contains(again, "cron is not running") {
		t.Fatalf("stop with nothing running = %q", again)
	}
	lines := readLog(t, logPath)
	if last := lines[len(lines)-1]; last.str("msg") != "cron stopped" {
		t.Fatalf("the daemon's last log line is %v, want a graceful cron stopped", last)
	}
}

// A process a daemon's job starts inherits neither go-daemon's marker (it would take itself for the
// daemon child) nor the daemon's descriptors (a surviving grandchild would keep the pidfile locked).
func TestDaemonJobsInheritNoMarkerNorDescriptors(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := run(t, testappBinary, base, []string{"TESTAPP_REGISTRATIONS=spawn"}, "cron", "start", "-d")
	if r.code != 0 {
		t.Fatalf("start -d: %d %s %s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() { run(t, testappBinary, base, nil, "cron", "stop") })
	output := filepath.Join(base, "storage", "log", "cron.output.log")
	var printed string
	waitFor(t, 10*time.Second, "the spawned shell's report", func() bool {
		data, _ := os.ReadFile(output)
		printed = string(data)
		return strings.Contains(printed, "fds-end")
	})
	if !strings.Contains(printed, "marker=[]") {
		t.Fatalf("the job's child saw go-daemon's marker: %q", printed)
	}
	// the same shell started by this test shows what any child inherits here; the job's child may have
	// nothing more (fd 1 differs by design: it is the daemon's output file)
	var baselineOut strings.Builder
	baseline := exec.Command("/bin/sh", "-c", spawnReport) // stdin and stderr /dev/null, as in the job
	baseline.Stdout = &baselineOut
	if err := baseline.Run(); err != nil {
		t.Fatal(err)
	}
	got, want := inheritedTargets(printed), inheritedTargets(baselineOut.String())
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the job's child inherited %v, a child of the test %v:\n%s", got, want, printed)
	}
}

// spawnReport is the shell script of testapp's spawn job (kept in step with test/e2e/testapp).
const spawnReport = `echo "marker=[$_GO_DAEMON]"; echo fds-begin; for fd in /proc/$$/fd/*; do echo "${fd##*/} $(readlink "$fd")"; done; echo fds-end`

// inheritedTargets returns the sorted targets of the descriptors a spawn report lists, but fd 1, with
// pipe numbers dropped; lines may carry the daemon's "<time> job=… tick=… | " prefix.
func inheritedTargets(report string) []string {
	begin, end := strings.Index(report, "fds-begin"), strings.Index(report, "fds-end")
	var targets []string
	for _, line := range strings.Split(report[begin:end], "\n")[1:] {
		if _, text, attributed := strings.Cut(line, " | "); attributed { // the daemon's job output lines
			line = text
		}
		fields := strings.Fields(line)
		if len(fields) != 2 || fields[0] == "1" {
			continue
		}
		targets = append(targets, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(fields[1], ""))
	}
	slices.Sort(targets)
	return targets
}

func TestRestartReplacesTheDaemon(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	first := startDaemon(t, base, "--drain-timeout", "3s")
	out := mustRun(t, hadeBinary, base, "cron", "restart", "--drain-timeout", "4s")
	match := daemonPID.FindStringSubmatch(out)
	if !strings.Contains(out, fmt.Sprintf("stopped cron process %d", first)) || match == nil {
		t.Fatalf("restart printed %q, want the old pid stopped and a new daemon", out)
	}
	second, _ := strconv.Atoi(match[1])
	if second == first || processAlive(first) || !processAlive(second) {
		t.Fatalf("after restart: first %d alive=%v, second %d alive=%v", first, processAlive(first), second, processAlive(second))
	}
	state := mustRun(t, hadeBinary, base, "cron", "state")
	if strings.Count(state, "cron is running") != 1 || !strings.Contains(state, strconv.Itoa(second)) {
		t.Fatalf("state after restart = %q, want only pid %d", state, second)
	}
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", second)); !strings.Contains(string(cmdline), "hade cron") {
		t.Fatalf("restarted daemon title %q", cmdline)
	}
	// restart with nothing running starts a daemon
	mustRun(t, hadeBinary, base, "cron", "stop")
	if out := mustRun(t, hadeBinary, base, "cron", "restart"); !strings.Contains(out, "cron is not running") || !daemonPID.MatchString(out) {
		t.Fatalf("restart with nothing running printed %q", out)
	}
}

func TestKilledDaemonReadsAsNotRunningAndStartsAgain(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	pid := startDaemon(t, base)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the killed daemon to be gone", func() bool { return !processAlive(pid) })
	assertNotRunning(t, hadeBinary, base)
	if _, err := os.Stat(filepath.Join(base, "storage", "runtime", fmt.Sprintf("cron.%d.pid", pid))); err != nil {
		t.Fatalf("the killed daemon's pidfile should still be there (stale): %v", err)
	}
	again := startDaemon(t, base)
	if state := mustRun(t, hadeBinary, base, "cron", "state"); !strings.Contains(state, fmt.Sprintf("pid %d", again)) {
		t.Fatalf("state after the second start = %q", state)
	}
	mustRun(t, hadeBinary, base, "cron", "stop")
	if entries, _ := filepath.Glob(filepath.Join(base, "storage", "runtime", "cron.*.pid")); len(entries) != 0 {
		t.Fatalf("pidfiles left after stop: %v", entries)
	}
}

func TestStopEscalatesToSIGKILLAfterTimeout(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	// a foreground process that ignores SIGTERM: stopped (SIGSTOP) it cannot handle signals
	p := startForeground(t, hadeBinary, base, "cron", "start")
	waitFor(t, 10*time.Second, "the process to start", func() bool { return len(p.runs()) > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, hadeBinary, base, "cron", "stop", "--timeout", "500ms")
	if !strings.Contains(out, fmt.Sprintf("killed cron process %d with SIGKILL", p.cmd.Process.Pid)) {
		t.Fatalf("stop printed %q, want a SIGKILL after the timeout", out)
	}
	<-p.done
}

func TestInvalidRegistrationsStopEveryCommand(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, args := range [][]string{{"cron", "start"}, {"tick"}} {
		r := run(t, testappBinary, base, []string{"TESTAPP_REGISTRATIONS=invalid"}, args...)
		if r.code == 0 || !strings.Contains(r.stderr, `invalid spec "61 * * * * *"`) || !strings.Contains(r.stderr, `service name "two words" contains white space`) {
			t.Fatalf("%v: exit %d, stderr %q; want non-zero and both registrations named", args, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stdout, "tick") {
			t.Fatalf("%v: %q %q", args, r.stdout, r.stderr)
		}
	}
}

func TestBadSettingFailsInTheDaemonParent(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := run(t, hadeBinary, base, nil, "--distributed", "bogus", "cron", "start", "-d")
	if r.code == 0 || !strings.Contains(r.stderr, `backend "bogus" is not registered`) || !strings.Contains(r.stderr, "--distributed") ||
		!strings.Contains(r.stderr, `"local", "postgres", "redis"`) || !strings.Contains(r.stderr, `import _ "github.com/hadeframe/hade/framework/backend/bogus"`) {
		t.Fatalf("exit %d, stderr %q; want a non-zero exit naming the setting, the registered backends and the import", r.code, r.stderr)
	}
	r = run(t, hadeBinary, base, nil, "--base-folder", filepath.Join(base, "missing"), "cron", "start", "-d")
	if r.code == 0 || !strings.Contains(r.stderr, "--base-folder") {
		t.Fatalf("exit %d, stderr %q; want a non-zero exit naming --base-folder", r.code, r.stderr)
	}
	assertNotRunning(t, hadeBinary, base)
}

func TestListShowsTheRegisteredJobs(t *testing.T) {
	t.Parallel()
	out := mustRun(t, hadeBinary, t.TempDir(), "cron", "list")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`TYPE\s+SPEC\s+ZONE\s+COMMAND\s+SERVICE\s+HOLD\s+OPTIONS\s+NEXT RUN`),
		regexp.MustCompile(`normal\s+\* \* \* \* \* \*\s+\S+\s+hade foo\s+-\s+-\s+-\s+\d{4}-`),
		regexp.MustCompile(`distributed\s+\*/5 \* \* \* \* \*\s+\S+\s+hade foo\s+foo_func_for_test\s+2s\s+overlap forbid\s+\d{4}-`),
	} {
		if !want.MatchString(out) {
			t.Fatalf("cron list = %q, want a line matching %s", out, want)
		}
	}
}

func TestBuildsWithoutCgo(t *testing.T) {
	t.Parallel()
	binary := filepath.Join(t.TempDir(), "hade-nocgo")
	build := exec.Command("go", "build", "-o", binary, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	if out := mustRun(t, binary, t.TempDir(), "cron", "list"); !strings.Contains(out, "foo_func_for_test") {
		t.Fatalf("the cgo-less binary lists %q", out)
	}
}
