package verify

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// How a node process ended, in its node record.
const (
	endKilled     = "killed"     // SIGKILL by the nemesis
	endTerminated = "terminated" // SIGTERM by the nemesis (a rolling restart)
	endStopped    = "stopped"    // SIGINT at the end of the run
	endExited     = "exited"     // by itself: a failure
)

// node is one running node process of the test app.
type node struct {
	index int
	proc  string // "n<index>.<generation>"
	cmd   *exec.Cmd
	log   string
	errs  string
	done  chan struct{}
	err   error // cmd.Wait's, after done

	record Record // the node record, written by the tool when the process ended
}

// nodeConfig is what every node process of a run shares.
type nodeConfig struct {
	binary   string
	dir      string // the run's folder
	backend  backend
	services int
	slow     int
	hold     time.Duration
	jitter   time.Duration
	via      [][]string // each node index's proxy addresses, one per backend endpoint
}

// baseFolder returns node index's base folder: the shared one for a local backend, its own otherwise.
func (c nodeConfig) baseFolder(index int) string {
	if c.backend.sharedBase() {
		return filepath.Join(c.dir, "base")
	}
	return filepath.Join(c.dir, "base", "n"+strconv.Itoa(index))
}

// startNode starts generation gen of node index, its clock off by offset (-tags hadeclock builds):
// `<binary> node <flags> cron start`.
func startNode(c nodeConfig, index, gen int, offset time.Duration) (*node, error) {
	proc := fmt.Sprintf("n%d.%d", index, gen)
	base := c.baseFolder(index)
	if err := mkdir(base); err != nil {
		return nil, err
	}
	args := append([]string{"node"}, c.backend.nodeFlags(base, c.via[index])...)
	cmd := exec.Command(c.binary, append(args, "cron", "start", "--drain-timeout", "5s")...)
	cmd.Env = append(os.Environ(), envRecords+"="+filepath.Join(c.dir, "records", proc+".jsonl"), envProc+"="+proc,
		envServices+"="+strconv.Itoa(c.services), envSlow+"="+strconv.Itoa(c.slow), envHold+"="+c.hold.String(),
		envJitter+"="+c.jitter.String(), envClockOffset+"="+offset.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // nodes die with a killed tool
	n := &node{index: index, proc: proc, cmd: cmd, done: make(chan struct{}),
		log: filepath.Join(c.dir, "logs", proc+".log"), errs: filepath.Join(c.dir, "logs", proc+".stderr")}
	stdout, err := os.Create(n.log)
	if err != nil {
		return nil, err
	}
	defer stdout.Close() // the child has its own descriptors
	stderr, err := os.Create(n.errs)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	n.record = Record{Kind: kindNode, Proc: proc, Offset: offset.Nanoseconds()}
	n.record.Mono, n.record.Wall = stamp()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node %s (%s): %w", proc, c.binary, err)
	}
	go func() {
		n.err = cmd.Wait()
		close(n.done)
	}()
	return n, nil
}

// waitReady polls the node's log until it says "cron started"; it fails when the node exits first or
// timeout passes.
func (n *node) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(n.log)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(`"msg":"cron started"`)) {
			n.record.ReadyMono, _ = stamp()
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("node %s exited before it started (%v): %s", n.proc, n.err, tail(n.errs))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s did not start within %s: %s", n.proc, timeout, tail(n.errs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signalAndWait sends sig (SIGCONT first, in case the node is paused), waits up to timeout for the exit
// (then kills), and completes the node record with how it ended.
func (n *node) signalAndWait(sig syscall.Signal, how string, timeout time.Duration) error {
	select {
	case <-n.done:
		n.finish(endExited)
		return fmt.Errorf("node %s had exited by itself (%v): %s", n.proc, n.err, tail(n.errs))
	default:
	}
	if sig != syscall.SIGKILL {
		_ = n.cmd.Process.Signal(syscall.SIGCONT)
	}
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal node %s: %w", n.proc, err)
	}
	select {
	case <-n.done:
	case <-time.After(timeout):
		_ = n.cmd.Process.Kill()
		<-n.done
		n.finish(endKilled)
		return fmt.Errorf("node %s did not exit within %s of %s: killed", n.proc, timeout, sig)
	}
	n.finish(how)
	if sig != syscall.SIGKILL && n.err != nil {
		return fmt.Errorf("node %s exited with %v after %s: %s", n.proc, n.err, sig, tail(n.errs))
	}
	return nil
}

// finish completes the node record: ended now, how.
func (n *node) finish(how string) {
	n.record.EndMono, n.record.EndWall = stamp()
	n.record.Result = how
}

// pause and resume send SIGSTOP and SIGCONT.
func (n *node) pause() error  { return n.cmd.Process.Signal(syscall.SIGSTOP) }
func (n *node) resume() error { return n.cmd.Process.Signal(syscall.SIGCONT) }

// tail returns the end of a file, for error messages.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(data[max(0, len(data)-2000):])
}
