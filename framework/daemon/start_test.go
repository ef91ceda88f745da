package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// failEnv makes the test daemon fail before it takes its pidfile; hangEnv makes it wait for SIGKILL.
const (
	failEnv = "HADE_DAEMON_TEST_FAIL"
	hangEnv = "HADE_DAEMON_TEST_HANG"
)

// runTestDaemon is this test binary started by Start: it completes the start and holds a pidfile in the
// folder of holderEnv until SIGTERM, or with failEnv prints that value and exits 3, or with hangEnv
// never takes it.
func runTestDaemon() int {
	if err := CompleteStart(); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // the exit status says it failed; the message is for a person
		return 1
	}
	if message := os.Getenv(failEnv); message != "" {
		_, _ = fmt.Fprintln(os.Stderr, message) // the message is what the test looks for; the status says it failed
		return 3
	}
	if os.Getenv(hangEnv) != "" {
		time.Sleep(time.Hour) // until Start kills it
	}
	return holdPidfile(os.Getenv(holderEnv))
}

func testSpec(t *testing.T, env ...string) Spec {
	t.Helper()
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	workDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Pidfiles: folder, Output: filepath.Join(folder.Path, "cron.output.log"), WorkDir: workDir,
		Args: []string{"test daemon", "-test.run=^$"}, Env: append(append(os.Environ(), holderEnv+"="+folder.Path), env...),
		ReadyTimeout: 10 * time.Second, ReadyTimeoutName: "the ready timeout"}
}

func TestStartReturnsOnceTheDaemonHoldsItsPidfile(t *testing.T) {
	spec := testSpec(t)
	pid, err := Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := spec.Pidfiles.Inspect(pid)
	if err != nil || !entry.Running || entry.Record.Mode != ModeDaemon {
		t.Fatalf("Inspect(%d) = %+v, %v; want the daemon's running pidfile", pid, entry, err)
	}
	report, err := Stop(context.Background(), spec.Pidfiles, StopOptions{Timeout: 10 * time.Second})
	if err != nil || len(report.Stopped) != 1 || report.Stopped[0].Killed {
		t.Fatalf("Stop = %+v, %v; want the daemon stopped", report, err)
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil || status.ExitStatus() != 0 {
		t.Fatalf("daemon exit: %v, %v; want status 0", status, err)
	}
}

func TestStartSaysWhatAFailedDaemonPrinted(t *testing.T) {
	_, err := Start(context.Background(), testSpec(t, failEnv+"=no such setting"))
	if err == nil || !strings.Contains(err.Error(), "exited before it was up: exit status 3") ||
		!strings.Contains(err.Error(), "no such setting") {
		t.Fatalf("Start = %v; want the exit status and what the daemon printed", err)
	}
}

func TestStartKillsADaemonNotUpInTime(t *testing.T) {
	spec := testSpec(t, hangEnv+"=1")
	spec.ReadyTimeout = 300 * time.Millisecond
	_, err := Start(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "was not up after 300ms (the ready timeout); it was killed") {
		t.Fatalf("Start = %v; want the daemon killed after the ready timeout", err)
	}
}
