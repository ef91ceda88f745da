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

// The test daemon's settings: folderEnv names the folder it says it is up in; failEnv makes it print that
// value and exit 3 before it is up; hangEnv makes it never be up (it waits for SIGKILL).
const (
	folderEnv = "HADE_DAEMON_TEST_FOLDER"
	failEnv   = "HADE_DAEMON_TEST_FAIL"
	hangEnv   = "HADE_DAEMON_TEST_HANG"
)

func TestMain(m *testing.M) {
	if IsStarted() {
		os.Exit(runTestDaemon())
	}
	os.Exit(m.Run())
}

// upFile is the file by which the test daemon pid says it is up.
func upFile(folder string, pid int) string { return filepath.Join(folder, fmt.Sprintf("up.%d", pid)) }

// runTestDaemon is this test binary started by Start: it completes the start, creates its upFile in the
// folder of folderEnv and waits for SIGTERM, then exits 0; or, with failEnv, prints that value and exits 3;
// or, with hangEnv, is never up.
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
	stopped, stop := NotifySignals(context.Background(), nil)
	defer stop()
	if err := os.WriteFile(upFile(os.Getenv(folderEnv), os.Getpid()), nil, 0o640); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // the exit status says it failed; the message is for a person
		return 1
	}
	<-stopped.Done()
	if context.Cause(stopped).Error() != "SIGTERM" {
		return 4
	}
	return 0
}

// testSpec is a Spec of the test daemon, up once it created its upFile in folder.
func testSpec(folder string, env ...string) Spec {
	return Spec{Args: []string{"test daemon", "-test.run=^$"},
		Env:    append(append(os.Environ(), folderEnv+"="+folder), env...),
		Output: filepath.Join(folder, "daemon.output.log"),
		Ready: func(pid int) bool {
			_, err := os.Stat(upFile(folder, pid))
			return err == nil
		}}
}

// readyContext bounds a start's wait to 10s.
func readyContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartReturnsOnceTheDaemonIsUp(t *testing.T) {
	folder := t.TempDir()
	pid, err := Start(readyContext(t), testSpec(folder))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(upFile(folder, pid)); err != nil {
		t.Fatalf("Start returned pid %d, which is not up: %v", pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil || status.ExitStatus() != 0 {
		t.Fatalf("daemon exit: %v, %v; want status 0 after SIGTERM", status, err)
	}
}

func TestStartSaysWhatAFailedDaemonPrinted(t *testing.T) {
	_, err := Start(readyContext(t), testSpec(t.TempDir(), failEnv+"=no such setting"))
	if err == nil || !strings.Contains(err.Error(), "exited before it was up: exit status 3") ||
		!strings.Contains(err.Error(), "no such setting") {
		t.Fatalf("Start = %v; want the exit status and what the daemon printed", err)
	}
}

func TestStartKillsADaemonNotUpInTime(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), 300*time.Millisecond,
		errors.New("still starting after 300ms"))
	defer cancel()
	_, err := Start(ctx, testSpec(t.TempDir(), hangEnv+"=1"))
	if err == nil || !strings.Contains(err.Error(), "was not up: still starting after 300ms; it was killed") {
		t.Fatalf("Start = %v; want the daemon killed, with the deadline's cause", err)
	}
}

func TestStartWithoutReadyStartsNothing(t *testing.T) {
	spec := testSpec(t.TempDir())
	spec.Ready = nil
	_, err := Start(readyContext(t), spec)
	if err == nil || !strings.Contains(err.Error(), "Spec.Ready is nil") {
		t.Fatalf("Start = %v; want the missing Ready named", err)
	}
}
