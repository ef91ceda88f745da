package e2e

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// tickReport is what the processes logged for one tick of the distributed job.
type tickReport struct {
	loggedBy map[int]bool     // process index -> logged a line for this tick
	ranOn    []int            // process indexes with outcome ok
	lines    map[int][]string // process index -> its lines' outcome and error, for failure messages
}

// distributedTicks collects the distributed run lines of processes by tick. Outcomes other than ok and
// not_selected fail the test, but error and skipped when allowErrors (a backend outage: a tick is
// skipped while the claim of the previous one is still being re-sent).
func distributedTicks(t *testing.T, processes []*process, allowErrors bool) map[time.Time]*tickReport {
	t.Helper()
	ticks := map[time.Time]*tickReport{}
	for i, p := range processes {
		for _, line := range p.runs() {
			if line.str("type") != "distributed" || line.str("outcome") == "missed" { // missed: not handled here
				continue
			}
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err != nil {
				t.Fatalf("bad tick in %v", line)
			}
			report := ticks[tick]
			if report == nil {
				report = &tickReport{loggedBy: map[int]bool{}, lines: map[int][]string{}}
				ticks[tick] = report
			}
			report.loggedBy[i] = true
			report.lines[i] = append(report.lines[i], line.str("outcome")+" "+line.str("error"))
			switch outcome := line.str("outcome"); {
			case outcome == "ok":
				report.ranOn = append(report.ranOn, i)
			case outcome == "not_selected", (outcome == "error" || outcome == "skipped") && allowErrors:
			default:
				t.Fatalf("process %d: unexpected outcome %v", i, line)
			}
		}
	}
	return ticks
}

// coveredTicks returns, sorted, the ticks every process in alive logged, checking that each ran exactly
// once and that they are consecutive seconds.
func coveredTicks(t *testing.T, ticks map[time.Time]*tickReport, alive []int, after time.Time) []time.Time {
	t.Helper()
	var covered []time.Time
	for tick, report := range ticks {
		all := tick.After(after)
		for _, i := range alive {
			all = all && report.loggedBy[i]
		}
		if all {
			covered = append(covered, tick)
		}
	}
	slices.SortFunc(covered, func(a, b time.Time) int { return a.Compare(b) })
	for i, tick := range covered {
		if ran := ticks[tick].ranOn; len(ran) != 1 {
			t.Fatalf("tick %s ran on processes %v, want exactly one; the processes logged %v", tick.Format(time.RFC3339), ran, ticks[tick].lines)
		}
		if i > 0 && tick.Sub(covered[i-1]) != time.Second {
			t.Fatalf("ticks %s and %s are not consecutive: a tick in between was missed", covered[i-1], tick)
		}
	}
	return covered
}

func TestThreeProcessesRunEachDistributedTickOnce(t *testing.T) {
	t.Parallel()
	threeProcessesThenKill(t, 21)
}

// threeProcessesThenKill runs 3 testapp cron processes (with extra root flags) on its every-second
// distributed job until window ticks were seen by all three, checks each ran exactly once, then kills -9
// the process that ran the latest tick and checks the other two cover every following tick.
func threeProcessesThenKill(t *testing.T, window int, flags ...string) {
	base := t.TempDir()
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startForeground(t, testappBinary, base, append(flags, "--log-level", "debug", "cron", "start")...)
	}
	all := []int{0, 1, 2}
	waitFor(t, time.Duration(window+40)*time.Second, "the window of ticks seen by all three processes", func() bool {
		return len(coveredTicks(t, distributedTicks(t, processes, false), all, time.Time{})) >= window
	})

	// kill -9 the process that ran the latest tick; the others must go on covering every tick
	ticks := distributedTicks(t, processes, false)
	var latest time.Time
	for tick, report := range ticks {
		if len(report.ranOn) > 0 && tick.After(latest) {
			latest = tick
		}
	}
	victim := ticks[latest].ranOn[0]
	if err := processes[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-processes[victim].done
	killedAt := time.Now()
	var survivors []int
	for _, i := range all {
		if i != victim {
			survivors = append(survivors, i)
		}
	}
	waitFor(t, 30*time.Second, "5 ticks after the kill seen by both survivors", func() bool {
		return len(coveredTicks(t, distributedTicks(t, processes, false), survivors, killedAt)) >= 5
	})
	stopAll(t, processes, survivors)

	ticks = distributedTicks(t, processes, false)
	before := coveredTicks(t, ticks, all, time.Time{})
	after := coveredTicks(t, ticks, survivors, killedAt)
	perProcess := runsPerProcess(t, ticks, len(processes))
	t.Logf("%d ticks with all 3 up, %d after killing process %d; runs per process %v", len(before), len(after), victim, perProcess)
	if !after[0].After(before[len(before)-1]) {
		t.Fatal("the windows overlap")
	}
	if first := after[0]; first.After(killedAt.Add(time.Second)) {
		t.Fatalf("the first tick after the kill covered by the survivors is %s, the kill was at %s: the next tick was missed", first, killedAt)
	}
	if total := perProcess[0] + perProcess[1] + perProcess[2]; total < len(before)+len(after) {
		t.Fatalf("%d runs in all, fewer than the %d covered ticks", total, len(before)+len(after))
	}
}

// stopAll sends SIGINT to the processes at indexes and checks they exit 0.
func stopAll(t *testing.T, processes []*process, indexes []int) {
	t.Helper()
	for _, i := range indexes {
		if err := processes[i].cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		<-processes[i].done
		if processes[i].err != nil {
			t.Fatalf("process %d exited with %v after SIGINT", i, processes[i].err)
		}
	}
}

// runsPerProcess counts the runs of each process, failing the test if any tick, covered or not, ran twice.
func runsPerProcess(t *testing.T, ticks map[time.Time]*tickReport, processes int) []int {
	t.Helper()
	perProcess := make([]int, processes)
	for tick, report := range ticks {
		if len(report.ranOn) > 1 {
			t.Fatalf("tick %s ran on %v", tick, report.ranOn)
		}
		for _, i := range report.ranOn {
			perProcess[i]++
		}
	}
	return perProcess
}

// manyJobsEachTickOnce runs three processes with flags, each with jobs every-second distributed jobs, for
// seconds: every tick of every job runs exactly once (a load test through the built binary).
func manyJobsEachTickOnce(t *testing.T, jobs, seconds int, flags ...string) {
	t.Helper()
	base := t.TempDir()
	env := []string{"TESTAPP_REGISTRATIONS=many", fmt.Sprintf("TESTAPP_JOBS=%d", jobs)}
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startForegroundEnv(t, testappBinary, base, env, append(flags, "--log-level", "debug", "cron", "start")...)
	}
	waitFor(t, 30*time.Second, "a run line from each process", func() bool {
		for _, p := range processes {
			if len(p.runs()) == 0 {
				return false
			}
		}
		return true
	})
	from := time.Now().Truncate(time.Second).Add(2 * time.Second)
	until := from.Add(time.Duration(seconds) * time.Second)
	time.Sleep(time.Until(until.Add(3 * time.Second))) // the last ticks' hold time (2s) has passed
	stopAll(t, processes, []int{0, 1, 2})

	ran := map[string][]int{} // job@tick -> indexes of the processes that ran it
	for i, p := range processes {
		for _, line := range p.runs() {
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err != nil {
				t.Fatalf("bad tick in %v", line)
			}
			inWindow := !tick.Before(from) && tick.Before(until)
			switch outcome := line.str("outcome"); {
			case outcome == "ok":
				key := line.str("service") + "@" + tick.Format(time.RFC3339)
				ran[key] = append(ran[key], i)
			case outcome == "not_selected", !inWindow:
			default:
				t.Fatalf("process %d, within the window: %v", i, line)
			}
		}
	}
	for key, on := range ran {
		if len(on) > 1 {
			t.Fatalf("%s ran on processes %v, want once", key, on)
		}
	}
	perProcess := make([]int, len(processes))
	for job := 0; job < jobs; job++ {
		for tick := from; tick.Before(until); tick = tick.Add(time.Second) {
			on := ran[fmt.Sprintf("job-%03d@%s", job, tick.Format(time.RFC3339))]
			if len(on) != 1 {
				t.Fatalf("job-%03d tick %s ran on processes %v, want exactly one", job, tick.Format(time.RFC3339), on)
			}
			perProcess[on[0]]++
		}
	}
	t.Logf("%d jobs × %d ticks each ran exactly once; runs per process %v", jobs, seconds, perProcess)
}
