package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux's architectures).
const clockTick = 10 * time.Millisecond

// serverCPU measures the CPU (user + system) of the backend server hadeload started, over the window: its
// processes (redis-server, each etcd member, the PostgreSQL postmaster) with every process they forked.
type serverCPU struct {
	name  string       // what the row shows, e.g. "postgres (postmaster and its children)"
	pids  func() []int // the server's processes now (0 for one that does not run)
	start map[int]time.Duration
	cpu   time.Duration
	moved bool // a process was replaced (restarted) in the window: only its new process counts
}

// mark reads the CPU at the window's start.
func (s *serverCPU) mark() {
	s.start = map[int]time.Duration{}
	for _, pid := range s.pids() {
		if pid != 0 {
			s.start[pid] = treeCPU(pid)
		}
	}
}

// measure reads the CPU at the window's end and keeps the difference; a process not there at the start
// (restarted in the window) counts from its start.
func (s *serverCPU) measure() {
	s.cpu = 0
	for _, pid := range s.pids() {
		if pid == 0 {
			s.moved = true
			continue
		}
		before, ok := s.start[pid]
		s.moved = s.moved || !ok
		s.cpu += treeCPU(pid) - before
	}
}

// treeCPU returns the CPU of pid and of every process it forked, and they in turn: its own time and the
// time of the children it reaped (cutime, cstime), plus the same of its living descendants. A child that
// exits in between moves from the second sum to the first, so a difference of two readings is the CPU the
// tree used between them. A process that is gone counts 0.
func treeCPU(pid int) time.Duration {
	parents := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, entry := range entries {
		child, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		if fields, err := statFields(child); err == nil {
			if parent, err := strconv.Atoi(fields[1]); err == nil {
				parents[parent] = append(parents[parent], child)
			}
		}
	}
	var total time.Duration
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		total += processCPU(queue[0])
		queue = append(queue, parents[queue[0]]...)
	}
	return total
}

// processCPU returns utime + stime + cutime + cstime of pid, 0 when it cannot be read.
func processCPU(pid int) time.Duration {
	fields, err := statFields(pid)
	if err != nil || len(fields) < 15 {
		return 0
	}
	var ticks int64
	for _, field := range fields[11:15] { // utime, stime, cutime, cstime (fields 14 to 17 of stat)
		n, _ := strconv.ParseInt(field, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}

// statFields returns the fields of /proc/<pid>/stat after "pid (comm)": state, ppid, …
func statFields(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	line := string(data)
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return nil, fmt.Errorf("a /proc stat line without (comm): %q", line)
	}
	fields := strings.Fields(line[end+1:])
	if len(fields) < 2 {
		return nil, fmt.Errorf("a short /proc stat line: %q", line)
	}
	return fields, nil
}

// serverCPUEvents are the events that read the server's CPU at the window's edges.
func (r *loadRun) serverCPUEvents() []event {
	if r.server == nil {
		return nil
	}
	return []event{
		{at: r.windowStart, do: func() error { r.server.mark(); return nil }},
		{at: r.windowEnd, do: func() error { r.server.measure(); return nil }},
	}
}
