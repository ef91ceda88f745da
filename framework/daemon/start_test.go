package daemon

import (
	"context"
	"errors"
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

// testSpec is a Spec of the test daemon, up once it holds its pidfile in folder.
func testSpec(folder Folder, env ...string) Spec {
	return Spec{Output: filepath.Join(folder.Path, "cron.output.log"), Args: []string{"test daemon", "-test.run=^$"},
		Env: append(append(os.Environ(), holderEnv+"="+folder.Path), env...),
		Ready: func(pid int) bool {
			entry, err := folder.Inspect(pid)
			return err == nil && entry.Running && entry.Err == nil
		}}
}

// readyContext bounds a start's wait to 10s.
func readyContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartReturnsOnceTheDaemonHoldsItsPidfile(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	pid, err := Start(readyContext(t), testSpec(folder))
	if err != nil {
		t.Fatal(err)
	}
	entry, err := folder.Inspect(pid)
	if err != nil || !entry.Running || entry.Record.Mode != ModeDaemon {
		t.Fatalf("Inspect(%d) = %+v, %v; want the daemon's running pidfile", pid, entry, err)
	}
	report, err := Stop(context.Background(), folder, StopOptions{Timeout: 10 * time.Second})
	if err != nil || len(report.Stopped) != 1 || report.Stopped[0].Killed {
		t.Fatalf("Stop = %+v, %v; want the daemon stopped", report, err)
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil || status.ExitStatus() != 0 {
		t.Fatalf("daemon exit: %v, %v; want status 0", status, err)
	}
}

func TestStartSaysWhatAFailedDaemonPrinted(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	_, err := Start(readyContext(t), testSpec(folder, failEnv+"=no such setting"))
	if err == nil || !strings.Contains(err.Error(), "exited before it was up: exit status 3") ||
		!strings.Contains(err.Error(), "no such setting") {
		t.Fatalf("Start = %v; want the exit status and what the daemon printed", err)
	}
}

func TestStartKillsADaemonNotUpInTime(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond,
		errors.New("still starting after 300ms"))
	defer cancel()
	_, err := Start(ctx, testSpec(folder, hangEnv+"=1"))
	if err == nil || !strings.Contains(err.Error(), "was not up: still starting after 300ms; it was killed") {
		t.Fatalf("Start = %v; want the daemon killed, with the deadline's cause", err)
	}
}

func TestStartWithoutReadyStartsNothing(t *testing.T) {
	spec := testSpec(Folder{Path: t.TempDir(), Prefix: "cron"})
	spec.Ready = nil
	if _, err := Start(readyContext(t), spec); err == nil || !strings.Contains(err.Error(), "Spec.Ready is nil") {
		t.Fatalf("Start = %v; want the missing Ready named", err)
	}
}
