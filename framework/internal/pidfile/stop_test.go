package pidfile

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holderEnv, set in the environment of this test binary run again, makes it a process that holds a
// pidfile in the folder it names until SIGTERM (see TestMain).
const (
	holderEnv       = "HADE_DAEMON_TEST_HOLDER"
	holderIgnoreEnv = "HADE_DAEMON_TEST_HOLDER_IGNORES_SIGTERM"
	holderLogEnv    = "HADE_DAEMON_TEST_HOLDER_LOG"
)

func TestMain(m *testing.M) {
	if folder := os.Getenv(holderEnv); folder != "" {
		os.Exit(holdPidfile(folder))
	}
	os.Exit(m.Run())
}

// holdPidfile takes this process's pidfile in folder, says "ready" on stdout and waits for SIGTERM (or,
// with holderIgnoreEnv, forever).
func holdPidfile(folder string) int {
	terminated, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ignore := os.Getenv(holderIgnoreEnv) != ""
	if ignore {
		stop()                         // a Notify would catch SIGTERM again after Ignore
		signal.Ignore(syscall.SIGTERM) // only SIGKILL ends the holder
	}
	record := Record{PID: os.Getpid(), Mode: ModeDaemon, StartedAt: time.Now(), Log: os.Getenv(holderLogEnv)}
	held, err := Folder{Path: folder, Prefix: "cron"}.Acquire(record, AcquireOptions{})
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err) // the exit status says it failed; the message is for a person
		return 1
	}
	if _, err := fmt.Println("ready"); err != nil {
		return 1
	}
	if ignore {
		time.Sleep(time.Hour) // until SIGKILL
		return 1
	}
	<-terminated.Done()
	if err := held.Release(); err != nil {
		return 1
	}
	return 0
}

// startHolder starts a process holding a pidfile in folder and returns once it holds it.
func startHolder(t *testing.T, folder string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), holderEnv+"="+folder), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // already gone when the test passed
		_ = cmd.Wait()
	})
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("holder said %q, %v; want ready", line, err)
	}
	return cmd
}

func TestStopTermsTheProcessAndWaitsForIt(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	holder := startHolder(t, folder.Path)
	report, err := Stop(context.Background(), folder, StopOptions{Timeout: 10 * time.Second})
	if err != nil || report.NotRunning || len(report.Stopped) != 1 {
		t.Fatalf("Stop = %+v, %v; want the holder stopped", report, err)
	}
	stopped := report.Stopped[0]
	if stopped.Entry.PID != holder.Process.Pid || stopped.Killed || stopped.Entry.Record.Mode != ModeDaemon {
		t.Fatalf("stopped %+v, want pid %d stopped by SIGTERM", stopped, holder.Process.Pid)
	}
	if entries, err := folder.List(); err != nil || len(entries) != 0 {
		t.Fatalf("after Stop the folder lists %+v, %v; want nothing", entries, err)
	}
}

func TestStopKillsAfterTheTimeoutAndRecordsIt(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	log := filepath.Join(folder.Path, "cron.log")
	if err := os.WriteFile(log, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	startHolder(t, folder.Path, holderIgnoreEnv+"=1", holderLogEnv+"="+log)
	options := StopOptions{Timeout: 200 * time.Millisecond, By: "the test", TimeoutName: "--timeout"}
	report, err := Stop(context.Background(), folder, options)
	if err != nil || len(report.Stopped) != 1 || !report.Stopped[0].Killed || report.Stopped[0].Log != log {
		t.Fatalf("Stop = %+v, %v; want the holder killed and the kill recorded in %s", report, err, log)
	}
	if got := readFile(t, log); !strings.Contains(got, `"msg":"cron killed"`) ||
		!strings.Contains(got, `"by":"the test"`) || !strings.Contains(got, "still running --timeout after SIGTERM") {
		t.Fatalf("log %q, want the kill recorded", got)
	}
}

func TestStopWithNothingRunning(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	for _, pid := range []int{0, 424242} {
		report, err := Stop(context.Background(), folder, StopOptions{PID: pid, Timeout: time.Second})
		if err != nil || !report.NotRunning || len(report.Stopped) != 0 {
			t.Fatalf("Stop(pid %d) = %+v, %v; want not running", pid, report, err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
