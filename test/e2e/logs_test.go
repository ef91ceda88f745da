package e2e

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/redistest"
)

// logged returns the JSON lines with msg so far.
func (p *process) logged(msg string) []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lines []logLine
	for _, line := range p.lines {
		if line.str("msg") == msg {
			lines = append(lines, line)
		}
	}
	return lines
}

// waitExit waits up to timeout for p to exit and fails the test unless it exited 0.
func (p *process) waitExit(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("the process did not exit within %s", timeout)
	}
	if p.err != nil {
		t.Fatalf("the process exited with %v, want exit status 0; it printed %v %q", p.err, p.lines, p.text)
	}
}

// logLines returns the JSON lines of path with msg, or none if the file does not exist.
func logLines(t *testing.T, path, msg string) []logLine {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	var lines []logLine
	for _, line := range readLog(t, path) {
		if line.str("msg") == msg {
			lines = append(lines, line)
		}
	}
	return lines
}

func TestLogsDaemonSurvivesSIGHUPAndReopensItsLogs(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	pid := startDaemon(t, base)
	logPath := filepath.Join(base, "storage", "log", "cron.log")
	outputPath := filepath.Join(base, "storage", "log", "cron.output.log")
	waitFor(t, 10*time.Second, "a run in cron.log", func() bool { return len(logLines(t, logPath, "cron run")) > 0 })
	// what logrotate does: rename, then SIGHUP
	for _, path := range []string{logPath, outputPath} {
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a run logged in a new cron.log", func() bool {
		return len(logLines(t, logPath, "cron reopened its log files")) == 1 && len(logLines(t, logPath, "cron run")) > 0
	})
	waitFor(t, 10*time.Second, "job output in a new cron.output.log", func() bool {
		data, _ := os.ReadFile(outputPath)
		return strings.Contains(string(data), "execute foo command")
	})
	if !processAlive(pid) {
		t.Fatalf("the daemon %d died on SIGHUP", pid)
	}
	for _, fd := range []int{1, 2} {
		if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd)); link != outputPath {
			t.Fatalf("the daemon's fd %d points at %q, want %q (where a crash would be written)", fd, link, outputPath)
		}
	}
	mustRun(t, hadeBinary, base, "cron", "stop")
	stopping := logLines(t, logPath, "cron stopping")
	if len(stopping) != 1 || stopping[0].str("reason") != "SIGTERM" {
		t.Fatalf("cron stopping lines %v, want one with reason SIGTERM", stopping)
	}
}

// A foreground process stops on SIGHUP (its terminal closed) as on SIGINT and SIGTERM, and says which.
func TestLogsForegroundStopsOnEachSignalAndLogsIt(t *testing.T) {
	t.Parallel()
	for _, signal := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM} {
		p := startForeground(t, hadeBinary, t.TempDir(), "cron", "start")
		waitFor(t, 10*time.Second, "cron started", func() bool { return len(p.logged("cron started")) == 1 })
		if err := p.cmd.Process.Signal(signal); err != nil {
			t.Fatal(err)
		}
		p.waitExit(t, 15*time.Second)
		name := map[syscall.Signal]string{syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[signal]
		for _, msg := range []string{"cron stopping", "cron stopped"} {
			if lines := p.logged(msg); len(lines) != 1 || lines[0].str("reason") != name {
				t.Fatalf("%s lines %v, want one with reason %s", msg, lines, name)
			}
		}
	}
}

// Only the daemon has a title: a foreground cron process keeps its arguments apart in /proc/pid/cmdline.
func TestLogsForegroundCommandLineKeepsItsArguments(t *testing.T) {
	t.Parallel()
	p := startForeground(t, hadeBinary, t.TempDir(), "cron", "start", "--drain-timeout", "5s")
	waitFor(t, 10*time.Second, "cron started", func() bool { return len(p.logged("cron started")) == 1 })
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{hadeBinary, "cron", "start", "--drain-timeout", "5s"}, "\x00") + "\x00"
	if string(cmdline) != want {
		t.Fatalf("cmdline %q, want %q", cmdline, want)
	}
}

func TestLogsDaemonTitlesNameTheirBaseFolders(t *testing.T) {
	t.Parallel()
	titles := map[string]bool{}
	for range 2 {
		base := t.TempDir()
		pid := startDaemon(t, base)
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatal(err)
		}
		title, _, _ := strings.Cut(string(cmdline), "\x00")
		if want := "hade cron [" + base + "]"; title != want {
			t.Fatalf("daemon title %q, want %q", title, want)
		}
		titles[title] = true
	}
	if len(titles) != 2 {
		t.Fatalf("titles %v, want two different ones", titles)
	}
}

// systemd's Type=notify: READY=1 once the scheduler runs, STOPPING=1 when it stops.
func TestLogsNotifySocketGetsReadyAndStopping(t *testing.T) {
	t.Parallel()
	folder, err := os.MkdirTemp("", "sd") // a short path: socket paths are limited to 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(folder) })
	socketPath := filepath.Join(folder, "notify")
	socket, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socketPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer socket.Close()
	base := t.TempDir()
	p := startForegroundEnv(t, hadeBinary, base, []string{"NOTIFY_SOCKET=" + socketPath}, "cron", "start")
	receive := func(want string) {
		t.Helper()
		buffer := make([]byte, 4096)
		if err := socket.SetReadDeadline(time.Now().Add(15 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := socket.Read(buffer)
		if err != nil || string(buffer[:n]) != want {
			t.Fatalf("notify socket got %q, %v; want %q", buffer[:n], err, want)
		}
	}
	receive("READY=1")
	if state := mustRun(t, hadeBinary, base, "cron", "state"); !strings.Contains(state, "cron is running") {
		t.Fatalf("state after READY=1: %q, want running", state)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	receive("STOPPING=1")
	p.waitExit(t, 15*time.Second)
}

func TestLogsLevelSetting(t *testing.T) {
	t.Parallel()
	p := startForeground(t, hadeBinary, t.TempDir(), "cron", "start", "--log-level=warn")
	waitFor(t, 15*time.Second, "two runs of foo", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.text) >= 2
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitExit(t, 15*time.Second)
	for _, line := range p.lines {
		if line.str("level") == "INFO" || line.str("level") == "DEBUG" {
			t.Fatalf("--log-level=warn logged %v", line)
		}
	}
	for _, bad := range [][]string{{"HADE_LOG_LEVEL=verbose"}, nil} {
		args := []string{"cron", "start"}
		if bad == nil {
			args = append(args, "-d", "--log-level=verbose")
		}
		base := t.TempDir()
		r := run(t, hadeBinary, base, bad, args...)
		if r.code != 1 || !strings.Contains(r.stderr, `"verbose"`) || !strings.Contains(r.stderr, "debug, info, warn, error") {
			t.Fatalf("%v %v: exit %d, stderr %q; want exit 1 naming the value and the valid levels", bad, args, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(base, "storage")); err == nil {
			t.Fatalf("%v %v created storage/ although the log level is invalid", bad, args)
		}
	}
}

// go-redis's own messages go through the process's JSON logger at WARN, never as plain text.
func TestLogsGoRedisMessagesAreJSON(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	r := run(t, testappBinary, t.TempDir(), nil,
		"--distributed", "redis", "--redis-url", "redis://"+closedPort+"/0", "cron", "start")
	if r.code != 1 || !strings.Contains(r.stdout, `"level":"WARN","msg":"go-redis"`) {
		t.Fatalf("exit %d, stdout %q; want exit 1 and go-redis's message as a JSON WARN line", r.code, r.stdout)
	}
	for _, text := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(text, "Error: ") {
			t.Fatalf("stderr has a line that is not the command's error: %q", text)
		}
	}

	server := redistest.Start(t, "")
	base := t.TempDir()
	startTestappDaemon(t, base, nil, redisFlags(server)...)
	logPath := filepath.Join(base, "storage", "log", "cron.log")
	waitFor(t, 10*time.Second, "a run in cron.log", func() bool { return len(logLines(t, logPath, "cron run")) > 0 })
	server.Stop()
	waitFor(t, 20*time.Second, "go-redis's messages in cron.log", func() bool { return len(logLines(t, logPath, "go-redis")) > 0 })
	output, err := os.ReadFile(filepath.Join(base, "storage", "log", "cron.output.log"))
	if err != nil {
		t.Fatal(err)
	}
	if plain := regexp.MustCompile(`(?m)^redis: `).Find(output); plain != nil {
		t.Fatalf("cron.output.log has go-redis's plain-text lines:\n%s", output)
	}
}

// A job's files (and the framework's) get the same permissions under a foreground process as under a daemon.
func TestLogsFilePermissionsAreTheSameInBothModes(t *testing.T) {
	t.Parallel()
	env := []string{"TESTAPP_REGISTRATIONS=files"}
	jobFile := filepath.Join("storage", "job", "file")
	foreground := t.TempDir()
	p := startForegroundEnv(t, testappBinary, foreground, env, "cron", "start")
	waitFor(t, 10*time.Second, "the job's file", func() bool { return fileExists(filepath.Join(foreground, jobFile)) })
	foregroundModes := fileModes(t, foreground)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitExit(t, 15*time.Second)

	daemon := t.TempDir()
	startTestappDaemon(t, daemon, env)
	waitFor(t, 10*time.Second, "the job's file", func() bool { return fileExists(filepath.Join(daemon, jobFile)) })
	daemonModes := fileModes(t, daemon)
	compared := 0
	for path, mode := range foregroundModes {
		if other, ok := daemonModes[path]; ok {
			compared++
			if mode != other {
				t.Errorf("%s: %v in the foreground, %v in the daemon", path, mode, other)
			}
		}
	}
	if _, ok := daemonModes[jobFile]; !ok || compared < 5 {
		t.Fatalf("compared %d paths (foreground %v, daemon %v); want the job's file and the framework's", compared, foregroundModes, daemonModes)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

var pidInName = regexp.MustCompile(`\.\d+\.pid$`)

// fileModes returns the permissions of everything below base/storage, by path relative to base with
// pids in pidfile names replaced by "N".
func fileModes(t *testing.T, base string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(filepath.Join(base, "storage"), func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		relative, err := filepath.Rel(base, path)
		if err != nil {
			return err
		}
		modes[pidInName.ReplaceAllString(relative, ".N.pid")] = info.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return modes
}
