// Package e2e tests the built binaries with real processes: foreground runs, daemons, signals, kill -9.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binaries built once by TestMain.
var hadeBinary, testappBinary string

// e2eParallel is how many tests of this package run at once unless -parallel is given: they mostly wait
// on real time (ticks every second), not on the CPU, so the default (GOMAXPROCS) leaves the machine idle.
const e2eParallel = 4

func TestMain(m *testing.M) {
	flag.Parse()
	parallelGiven := false
	flag.Visit(func(f *flag.Flag) { parallelGiven = parallelGiven || f.Name == "test.parallel" })
	if !parallelGiven {
		if err := flag.Set("test.parallel", fmt.Sprint(e2eParallel)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	folder, err := os.MkdirTemp("", "hade-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hadeBinary = filepath.Join(folder, "hade")
	testappBinary = filepath.Join(folder, "testapp")
	for _, build := range [][]string{
		{"build", "-race", "-o", hadeBinary, "../.."},
		{"build", "-race", "-o", testappBinary, "./testapp"},
	} {
		if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(build, " "), err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	if err := os.RemoveAll(folder); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// result is what a finished command printed.
type result struct {
	stdout, stderr string
	code           int
}

// run runs binary with args in base folder dir (its working directory) and waits for it.
func run(t *testing.T, binary, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %v: %v", binary, args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// mustRun runs and fails the test unless the command exits 0.
func mustRun(t *testing.T, binary, dir string, args ...string) string {
	t.Helper()
	r := run(t, binary, dir, nil, args...)
	if r.code != 0 {
		t.Fatalf("%s %v exited %d\nstdout: %s\nstderr: %s", filepath.Base(binary), args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// logLine is one JSON line of the structured log.
type logLine map[string]any

func (l logLine) str(key string) string { s, _ := l[key].(string); return s }

// process is a foreground cron process whose stdout is collected as it runs.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []logLine
	text  []string
	done  chan struct{}
	err   error
}

// startForeground starts `binary args...` in dir and collects its output lines.
func startForeground(t *testing.T, binary, dir string, args ...string) *process {
	t.Helper()
	return startForegroundEnv(t, binary, dir, nil, args...)
}

// startForegroundEnv is startForeground with env added to the environment.
func startForegroundEnv(t *testing.T, binary, dir string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	p := &process{cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.collect(stdout)
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *process) collect(stdout io.Reader) {
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		text := scanner.Text()
		var line logLine
		p.mu.Lock()
		if json.Unmarshal([]byte(text), &line) == nil {
			p.lines = append(p.lines, line)
		} else {
			p.text = append(p.text, text)
		}
		p.mu.Unlock()
	}
	p.err = p.cmd.Wait()
	close(p.done)
}

// runs returns the "cron run" lines so far.
func (p *process) runs() []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	var runs []logLine
	for _, line := range p.lines {
		if line.str("msg") == "cron run" {
			runs = append(runs, line)
		}
	}
	return runs
}

// waitFor polls condition every 50ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readLog returns the JSON lines of a log file.
func readLog(t *testing.T, path string) []logLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []logLine
	for _, text := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var line logLine
		if json.Unmarshal([]byte(text), &line) == nil {
			lines = append(lines, line)
		}
	}
	return lines
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
