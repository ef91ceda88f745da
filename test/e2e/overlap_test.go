package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workRun is one run of the overlap job as its work log tells it.
type workRun struct {
	pid      int
	tick     int64
	start    time.Time
	last     time.Time // the last thing it did: start, a unit of work, or its return
	stopped  bool      // its context ended before it finished
	finished bool
}

// readWorkLog reads the overlap job's work log into runs, ordered by start.
func readWorkLog(t *testing.T, path string) []*workRun {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	runs := map[[2]int64]*workRun{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 4 {
			continue
		}
		pid, _ := strconv.Atoi(fields[0])
		tick, _ := strconv.ParseInt(fields[1], 10, 64)
		nanos, _ := strconv.ParseInt(fields[3], 10, 64)
		at := time.Unix(0, nanos)
		key := [2]int64{int64(pid), tick}
		run := runs[key]
		if run == nil {
			run = &workRun{pid: pid, tick: tick, start: at, last: at}
			runs[key] = run
		}
		switch fields[2] {
		case "work":
			run.last = at
		case "done":
			run.last, run.finished = at, true
		case "stop":
			run.stopped = true
		}
	}
	var ordered []*workRun
	for _, run := range runs {
		ordered = append(ordered, run)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].start.Before(ordered[j].start) })
	return ordered
}

// checkNoOverlap fails the test when a run started before the previous one's last action.
func checkNoOverlap(t *testing.T, runs []*workRun) {
	t.Helper()
	for i := 1; i < len(runs); i++ {
		if prev, next := runs[i-1], runs[i]; !prev.last.Before(next.start) {
			t.Errorf("runs overlap: pid %d tick %d acted until %s, pid %d tick %d started at %s",
				prev.pid, prev.tick, prev.last.Format(time.StampMicro), next.pid, next.tick, next.start.Format(time.StampMicro))
		}
	}
}

// running returns the run going on now (no return yet, started last), or nil.
func running(runs []*workRun) *workRun {
	if len(runs) == 0 || runs[len(runs)-1].finished || runs[len(runs)-1].stopped {
		return nil
	}
	return runs[len(runs)-1]
}

// Three processes, a 6s job every 2s under OverlapForbid: runs never overlap across processes, the skipped
// ticks name the holder; a holder SIGSTOPped longer than its lease ends its run (lease_lost) without doing
// anything after it resumed, while another process ran the job; a holder killed with -9 frees the job.
func TestOverlapForbidAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, backend := range historyBackends(t) {
		t.Run(backend.name, func(t *testing.T) {
			bases, _ := backend.folders(t, 3)
			worklog := filepath.Join(t.TempDir(), "work.log")
			env := []string{"TESTAPP_REGISTRATIONS=overlap", "TESTAPP_WORKLOG=" + worklog}
			processes := make([]*process, 3)
			byPID := map[int]*process{}
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], env, append(backend.flags, "cron", "start")...)
				byPID[processes[i].cmd.Process.Pid] = processes[i]
			}
			holder := func() *workRun { return running(readWorkLog(t, worklog)) }
			waitFor(t, 30*time.Second, "a second run to start", func() bool { return len(readWorkLog(t, worklog)) >= 2 && holder() != nil })
			checkBusySkips(t, processes)

			stalled := holder()
			stalledProcess := byPID[stalled.pid]
			if err := stalledProcess.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			stoppedAt := time.Now()
			waitFor(t, 20*time.Second, "another process to run the job while the holder is stopped", func() bool {
				run := holder()
				return run != nil && run.pid != stalled.pid && run.start.After(stoppedAt)
			})
			time.Sleep(time.Until(stoppedAt.Add(8 * time.Second)))
			if err := stalledProcess.cmd.Process.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the resumed holder's lease_lost line", func() bool { return hasOutcome(stalledProcess, "lease_lost") })

			var killed *workRun
			waitFor(t, 20*time.Second, "a run of another process than the stalled one", func() bool {
				killed = holder()
				return killed != nil && killed.pid != stalled.pid
			})
			if err := byPID[killed.pid].cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killedAt := time.Now()
			waitFor(t, 15*time.Second, "another process to run the job after the kill -9", func() bool {
				run := holder()
				return run != nil && run.pid != killed.pid && run.start.After(killedAt)
			})
			for _, p := range processes {
				if p.cmd.Process.Pid != killed.pid {
					_ = p.cmd.Process.Signal(syscall.SIGINT)
					<-p.done
				}
			}
			runs := readWorkLog(t, worklog)
			checkNoOverlap(t, runs)
			for _, run := range runs {
				if run.pid == stalled.pid && run.tick == stalled.tick && (!run.stopped || run.last.After(stoppedAt)) {
					t.Errorf("the stalled run acted after it was stopped (last %s, stopped %s) or did not stop", run.last, stoppedAt)
				}
			}
		})
	}
}

// checkBusySkips fails the test unless some tick was skipped naming the holder of the previous run.
func checkBusySkips(t *testing.T, processes []*process) {
	t.Helper()
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") == "skipped" && line.str("holder") != "" && strings.Contains(line.str("reason"), "still runs on process") {
				return
			}
		}
	}
	t.Error("no tick was skipped naming the holder of the previous run")
}

// hasOutcome reports whether p logged a run with outcome.
func hasOutcome(p *process, outcome string) bool {
	for _, line := range p.runs() {
		if line.str("outcome") == outcome {
			return true
		}
	}
	return false
}
