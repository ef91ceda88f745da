package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// runRecord is one "cron run" log line of a node.
type runRecord struct {
	service string
	tick    int64 // Unix seconds
	outcome string
	lateMs  float64
	won     bool // the line names this node as the tick's winner (selected is its app id)
}

// nodeProcess is one running bench app node. Its log goes to a file, read after it exited, so that the
// load tool does no work while the nodes are measured.
type nodeProcess struct {
	index   int
	name    string // index, and the restart generation after a restart: "0", "0.1"
	cmd     *exec.Cmd
	log     string // path of its stdout: the JSON log
	stderr  string // path of its stderr
	done    chan struct{}
	waitErr error

	runs  []runRecord // read by readLog after the node exited
	marks []usageMark // likewise: the usage marks it took (see mark), in order
	// recordsLost is likewise the most run history records its log said it lost
	recordsLost int64
	killed      bool
	terminated  bool // stopped by SIGTERM during the window
	usage       *syscall.Rusage
}

// startNode runs `self node args...` with o's jobs, hold and job duration in its environment; generation counts the
// restarts of node index.
func startNode(self, dir string, index, generation int, o loadOptions, args []string) (*nodeProcess, error) {
	env := append(os.Environ(), envJobs+"="+strconv.Itoa(o.jobs), envHold+"="+o.hold.String(), envJobTime+"="+o.jobDuration.String())
	name := strconv.Itoa(index)
	if generation > 0 {
		name += "." + strconv.Itoa(generation)
	}
	n, err := spawn(self, dir, name, append([]string{"node"}, args...), env)
	if err != nil {
		return nil, err
	}
	n.index = index
	return n, nil
}

// spawn runs `self args...` with env as the node called name: its stdout goes to dir/node-<name>.log, its
// stderr to dir/node-<name>.stderr, and it dies with the load tool.
func spawn(self, dir, name string, args, env []string) (*nodeProcess, error) {
	cmd := exec.Command(self, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // nodes die with a killed load tool
	n := &nodeProcess{name: name, cmd: cmd, done: make(chan struct{}),
		log: filepath.Join(dir, "node-"+name+".log"), stderr: filepath.Join(dir, "node-"+name+".stderr")}
	for path, target := range map[string]*io.Writer{n.log: &cmd.Stdout, n.stderr: &cmd.Stderr} {
		file, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		defer file.Close() // the child has its own descriptor
		*target = file
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		n.waitErr = cmd.Wait()
		if usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			n.usage = usage
		}
		close(n.done)
	}()
	return n, nil
}

// waitStarted polls the node's log until it says "cron started", the node exits, or timeout passes.
func (n *nodeProcess) waitStarted(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(n.log)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(`"msg":"cron started"`)) {
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("node %s exited before it started (%v): %s", n.name, n.waitErr, tail(n.stderr))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s did not start within %s: %s", n.name, timeout, tail(n.stderr))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logLine holds the fields of a node's JSON log line that the report uses.
type logLine struct {
	Msg      string  `json:"msg"`
	AppID    string  `json:"app_id"`
	Selected string  `json:"selected"`
	Service  string  `json:"service"`
	Tick     string  `json:"tick"`
	Outcome  string  `json:"outcome"`
	LateMs   float64 `json:"late_ms"`
	// RecordsLost is the run history records the node lost so far, on the lines that report a loss
	RecordsLost int64 `json:"records_lost"`
	usageMark
}

// readLog reads the node's "cron run" and "usage mark" lines, and the most run history records it said it
// lost; call it after the node exited.
func (n *nodeProcess) readLog() error {
	file, err := os.Open(n.log)
	if err != nil {
		return err
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	for scanner.Scan() {
		var line logLine
		if json.Unmarshal(scanner.Bytes(), &line) != nil {
			continue
		}
		if line.Msg == markMsg {
			n.marks = append(n.marks, line.usageMark)
		}
		n.recordsLost = max(n.recordsLost, line.RecordsLost)
		if line.Msg != "cron run" {
			continue
		}
		tick, err := time.Parse(time.RFC3339, line.Tick)
		if err != nil {
			return fmt.Errorf("node %s: bad tick in %s", n.name, scanner.Text())
		}
		n.runs = append(n.runs, runRecord{service: line.Service, tick: tick.Unix(), outcome: line.Outcome, lateMs: line.LateMs,
			won: line.Selected != "" && line.Selected == line.AppID})
	}
	return scanner.Err()
}

// mark asks the node for a usage mark (markSignal): the node must have called startMarks.
func (n *nodeProcess) mark() error {
	if err := n.cmd.Process.Signal(markSignal); err != nil {
		return fmt.Errorf("node %s: usage mark: %w: %s", n.name, err, tail(n.stderr))
	}
	return nil
}

// kill sends SIGKILL and waits until the node is gone.
func (n *nodeProcess) kill() error {
	n.killed = true
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-n.done
	return nil
}

// terminate sends SIGTERM and waits until the node exited; it returns the node's exit error.
func (n *nodeProcess) terminate() error {
	n.terminated = true
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	<-n.done
	if n.waitErr != nil {
		return fmt.Errorf("node %s exited with %v after SIGTERM: %s", n.name, n.waitErr, tail(n.stderr))
	}
	return nil
}

// stop sends SIGINT and waits up to timeout, then kills.
func (n *nodeProcess) stop(timeout time.Duration) {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-n.done:
	case <-time.After(timeout):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// cpuSeconds and peakRSSMiB read the node's resource usage after it exited.
func (n *nodeProcess) cpuSeconds() float64 {
	if n.usage == nil {
		return 0
	}
	return time.Duration(n.usage.Utime.Nano() + n.usage.Stime.Nano()).Seconds()
}

func (n *nodeProcess) peakRSSMiB() float64 {
	if n.usage == nil {
		return 0
	}
	return float64(n.usage.Maxrss) / 1024 // Linux reports KiB
}
