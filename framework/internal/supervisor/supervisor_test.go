package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/hadeframe/hade/framework/backend/redis" // its URL carries a password
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/daemon"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/provider/app"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// The test daemon's settings: baseEnv names its base folder; failEnv makes it print that value and exit 3
// before it is up; hangEnv makes it never be up (it waits for SIGKILL).
const (
	baseEnv = "HADE_SUPERVISOR_TEST_BASE"
	failEnv = "HADE_SUPERVISOR_TEST_FAIL"
	hangEnv = "HADE_SUPERVISOR_TEST_HANG"
)

// testSettings are the settings the test daemon records: a Redis password and a token among them.
var testSettings = map[string]string{"distributed": "redis", "redis-url": "redis://:pw123@host:1/0",
	"http-token": "tok123"}

func TestMain(m *testing.M) {
	if daemon.IsStarted() {
		os.Exit(runTestDaemon())
	}
	os.Exit(m.Run())
}

// runTestDaemon is this test binary started by Start, as `cron start -d` runs in a daemon: it completes
// the start, opens its log files, takes its pidfile with testSettings and serves until SIGTERM, reopening
// its logs on SIGHUP; then it releases its pidfile and logs its stop as a failure. With failEnv it prints
// that value and exits 3; with hangEnv it is never up.
func runTestDaemon() int {
	if err := daemon.CompleteStart(); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // the exit status says it failed; the message is for a person
		return 1
	}
	if message := os.Getenv(failEnv); message != "" {
		_, _ = fmt.Fprintln(os.Stderr, message) // the message is what the test looks for
		return 3
	}
	if os.Getenv(hangEnv) != "" {
		time.Sleep(time.Hour) // until Start kills it
	}
	files, err := testFiles(os.Getenv(baseEnv))
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // the exit status says it failed
		return 1
	}
	child, err := OpenChild(files, func(w io.Writer) *slog.Logger {
		return slog.New(slog.NewJSONHandler(w, nil))
	})
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // the exit status says it failed
		return 1
	}
	stopped, stop := daemon.NotifySignals(context.Background(), child.Reopen)
	defer stop()
	held, err := Acquire(files, Process{Mode: pidfile.ModeDaemon, Log: files.Log, Settings: testSettings})
	if err != nil {
		return exitStatus(child.End(err))
	}
	<-stopped.Done()
	if err := held.Release(); err != nil {
		return exitStatus(child.End(err))
	}
	// on fd 2, which OpenChild moved to the output file: the test looks for it there
	failure := child.End(fmt.Errorf("test daemon stopped by %w", context.Cause(stopped)))
	_, _ = fmt.Fprintln(os.Stderr, failure)
	return 0
}

// exitStatus is the test daemon's exit status after err.
func exitStatus(err error) int {
	if err != nil {
		return 1
	}
	return 0
}

// testFiles returns the cron files of base folder base.
func testFiles(base string) (Files, error) {
	service, err := app.Provider{BaseFolder: func() string { return base }, Setting: "test"}.New(nil)
	if err != nil {
		return Files{}, err
	}
	return NewFiles(service.(contract.App)), nil
}

// startTestDaemon starts the test daemon in base with env added; the test kills and reaps it at
// cleanup, when it still runs.
func startTestDaemon(t *testing.T, base string, readyTimeout time.Duration, env ...string) (
	files Files, pid int, err error) {
	t.Helper()
	if files, err = testFiles(base); err != nil {
		t.Fatal(err)
	}
	pid, err = Start(context.Background(), files, Daemon{Program: "supervisortest",
		Args: []string{"-test.run=^$"}, Env: append(append(os.Environ(), baseEnv+"="+base), env...),
		ReadyTimeout: readyTimeout})
	if err == nil {
		t.Cleanup(func() { reap(t, pid) })
	}
	return files, pid, err
}

// reap kills pid, a child of this process, if it still runs, and waits for it.
func reap(t *testing.T, pid int) {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Error(err)
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil {
		t.Error(err)
	}
}

// waitFor waits up to 10s until the file at path contains text.
func waitFor(t *testing.T, path, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not contain %q after 10s: %q, %v", path, text, data, err)
		}
	}
}

// A daemon started by Start is up once it holds its pidfile; it keeps a second daemon out, records its
// settings redacted in its pidfile and in full for restart, reopens its logs on SIGHUP, and Stop stops it.
func TestDaemonStartOneDaemonSettingsLogsAndStop(t *testing.T) {
	base := t.TempDir()
	files, pid, err := startTestDaemon(t, base, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil &&
		!strings.HasPrefix(string(cmdline), "supervisortest cron ["+files.App.BaseFolder()+"]\x00") {
		t.Errorf("the daemon's title is %q", cmdline)
	}
	checkOneDaemon(t, files, pid)
	checkRecordedSettings(t, files, pid)

	if err := os.Rename(files.Log, files.Log+".1"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, files.Log, `"msg":"cron reopened its log files"`)

	report, err := Stop(context.Background(), files, 0, 10*time.Second)
	if err != nil || len(report.Stopped) != 1 || report.Stopped[0].Entry.PID != pid ||
		report.Stopped[0].Killed {
		t.Fatalf("Stop = %+v, %v; want the daemon stopped by SIGTERM", report, err)
	}
	waitFor(t, files.Log, `"msg":"cron failed","error":"test daemon stopped by SIGTERM"`)
	waitFor(t, files.Output, "test daemon stopped by SIGTERM")

	report, err = Stop(context.Background(), files, pid, time.Second)
	notRunning := fmt.Sprintf("pid %d is not a running cron process of base folder %s (no locked pidfile in",
		pid, files.App.BaseFolder())
	if !report.NotRunning || kernel.ExitCode(err) != 1 || !strings.Contains(err.Error(), notRunning) {
		t.Fatalf("Stop of a stopped pid = %+v, %v; want exit status 1 saying it is not running", report, err)
	}
}

// checkOneDaemon checks that the daemon pid keeps another out of files, but not a foreground process nor
// a daemon allowed to run beside it.
func checkOneDaemon(t *testing.T, files Files, pid int) {
	t.Helper()
	refusal := fmt.Sprintf("a cron daemon already runs in base folder %s: pid %d (since ",
		files.App.BaseFolder(), pid)
	if err := CheckOneDaemon(files); err == nil || !strings.Contains(err.Error(), refusal) ||
		!strings.Contains(err.Error(), "--allow-another-daemon") {
		t.Fatalf("CheckOneDaemon = %v; want %q…", err, refusal)
	}
	_, err := Acquire(files, Process{Mode: pidfile.ModeDaemon})
	if err == nil || !strings.Contains(err.Error(), refusal) {
		t.Fatalf("a second daemon's Acquire = %v; want %q…", err, refusal)
	}
	beside := []Process{{Mode: pidfile.ModeForeground}, {Mode: pidfile.ModeDaemon, AllowAnother: true}}
	for _, p := range beside {
		held, err := Acquire(files, p)
		if err != nil {
			t.Fatalf("Acquire(%+v) = %v beside a daemon", p, err)
		}
		if err := held.Release(); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRecordedSettings checks the daemon pid's pidfile shows its settings redacted, and LatestDaemon
// reads them in full.
func checkRecordedSettings(t *testing.T, files Files, pid int) {
	t.Helper()
	entry, err := files.Pidfiles.Inspect(pid)
	if err != nil || entry.Record.Settings["redis-url"] != "redis://:xxxxx@host:1/0" ||
		entry.Record.Settings["http-token"] != secret.Mask || entry.Record.Log != files.Log {
		t.Fatalf("pidfile record %+v, %v; want the settings redacted and the log file", entry.Record, err)
	}
	latest, running, err := LatestDaemon(files)
	if err != nil || !running || latest.PID != pid || !latest.Recorded ||
		!maps.Equal(latest.Settings, testSettings) {
		t.Fatalf("LatestDaemon = %+v, %v, %v; want pid %d and its settings in full", latest, running, err,
			pid)
	}
}

func TestStartMakesTheLogFolderAndSaysWhatAFailedDaemonPrinted(t *testing.T) {
	base := t.TempDir()
	_, _, err := startTestDaemon(t, base, 10*time.Second, failEnv+"=no such setting")
	if err == nil || !strings.Contains(err.Error(), "exited before it was up: exit status 3") ||
		!strings.Contains(err.Error(), "no such setting") {
		t.Fatalf("Start = %v; want the exit status and what the daemon printed", err)
	}
	info, err := os.Stat(filepath.Join(base, "storage", "log"))
	if err != nil || info.Mode().Perm() != 0o750 {
		t.Fatalf("storage/log: %v, %v; want a folder of mode 0750", info, err)
	}
}

func TestStartNamesTheReadyTimeout(t *testing.T) {
	_, _, err := startTestDaemon(t, t.TempDir(), 300*time.Millisecond, hangEnv+"=1")
	want := "was not up: still starting after 300ms (--ready-timeout); it was killed"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Start = %v; want the daemon killed, naming --ready-timeout", err)
	}
}

func TestLatestDaemonWithoutOne(t *testing.T) {
	files, err := testFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(files.WhereNothingRuns(), "no cron process ever ran with base folder") {
		t.Fatalf("WhereNothingRuns = %q before any process ran", files.WhereNothingRuns())
	}
	held, err := Acquire(files, Process{Mode: pidfile.ModeForeground, Log: "stdout", Settings: testSettings})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := held.Release(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := files.Pidfiles.ReadPrivate(os.Getpid()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a foreground process has a private file: %v", err)
	}
	if latest, running, err := LatestDaemon(files); running || err != nil {
		t.Fatalf("LatestDaemon = %+v, %v, %v with a foreground process only; want none", latest, running, err)
	}
}
