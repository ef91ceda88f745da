package pgserver

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Kill kills the server as a crash would: its postmaster is stopped first (SIGSTOP, so it forks no more),
// then it and every process it forked get SIGKILL (a postmaster's children otherwise linger until they
// notice, keeping its shared memory). Kill waits until they are all gone, at most 30 s; the data folder is
// left as the crash left it (postmaster.pid included) for Restart. Killing a stopped server does nothing.
func (s *Server) Kill() {
	if !s.Running() {
		return
	}
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGSTOP)
	children := descendants(pid)
	_ = s.cmd.Process.Kill()
	for _, child := range children {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	<-s.exited
	waitGone(children, 30*time.Second)
}

// Pause stops the postmaster and every process it forked (SIGSTOP, the postmaster first so it forks no
// more): connections stay open, but no query answers and no new connection is served. It is an error
// when the server does not run.
func (s *Server) Pause() error {
	if !s.Running() {
		return fmt.Errorf("pause postgres on port %d: it does not run", s.port)
	}
	pid := s.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("pause postgres: %w", err)
	}
	for _, child := range descendants(pid) {
		_ = syscall.Kill(child, syscall.SIGSTOP) // it may have exited since
	}
	return nil
}

// Resume continues a paused server (SIGCONT): the postmaster's children, then the postmaster. It is an
// error when the server does not run.
func (s *Server) Resume() error {
	if !s.Running() {
		return fmt.Errorf("resume postgres on port %d: it does not run", s.port)
	}
	pid := s.cmd.Process.Pid
	for _, child := range descendants(pid) {
		_ = syscall.Kill(child, syscall.SIGCONT)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		return fmt.Errorf("resume postgres: %w", err)
	}
	return nil
}

// descendants returns the pids of the processes forked by pid, and by them, and so on, read from /proc.
func descendants(pid int) []int {
	children := map[int][]int{} // parent pid: its children's
	entries, _ := os.ReadDir("/proc")
	for _, entry := range entries {
		child, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		if _, parent, err := readStat(child); err == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var found []int
	for queue := append([]int(nil), children[pid]...); len(queue) > 0; queue = queue[1:] {
		found = append(found, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return found
}

// waitGone waits until none of pids runs (a zombie, which an init that does not reap may keep, counts
// as gone: it holds no memory nor socket), at most timeout.
func waitGone(pids []int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, pid := range pids {
		for time.Now().Before(deadline) {
			if state, _, err := readStat(pid); err != nil || state == 'Z' || state == 'X' {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// readStat returns the state (e.g. 'R', 'T' stopped, 'Z' zombie) and the parent pid of process pid.
func readStat(pid int) (state byte, parent int, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseStat(string(data))
}

// parseStat reads the state and the parent pid in a /proc/<pid>/stat line, "pid (comm) state ppid …"
// (comm may hold spaces and parentheses: the fields start after the last ')').
func parseStat(line string) (state byte, parent int, err error) {
	fields := strings.Fields(line[strings.LastIndexByte(line, ')')+1:])
	if len(fields) < 2 || len(fields[0]) != 1 {
		return 0, 0, fmt.Errorf("a /proc stat line without state and parent: %q", line)
	}
	parent, err = strconv.Atoi(fields[1])
	return fields[0][0], parent, err
}
