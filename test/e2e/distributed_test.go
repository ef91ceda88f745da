package e2e

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// tickReport is what the processes logged for one tick of the distributed job.
type tickReport struct {
	loggedBy map[int]bool // process index -> logged a line for this tick
	ranOn    []int        // process indexes with outcome ok
}

// distributedTicks collects the distributed run lines of processes by tick.
func distributedTicks(t *testing.T, processes []*process) map[time.Time]*tickReport {
	t.Helper()
	ticks := map[time.Time]*tickReport{}
	for i, p := range processes {
		for _, line := range p.runs() {
			if line.str("type") != "distributed" {
				continue
			}
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err != nil {
				t.Fatalf("bad tick in %v", line)
			}
			report := ticks[tick]
			if report == nil {
				report = &tickReport{loggedBy: map[int]bool{}}
				ticks[tick] = report
			}
			report.loggedBy[i] = true
			switch line.str("outcome") {
			case "ok":
				report.ranOn = append(report.ranOn, i)
			case "not_selected":
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
			t.Fatalf("tick %s ran on processes %v, want exactly one", tick.Format(time.RFC3339), ran)
		}
		if i > 0 && tick.Sub(covered[i-1]) != time.Second {
			t.Fatalf("ticks %s and %s are not consecutive: a tick in between was missed", covered[i-1], tick)
		}
	}
	return covered
}

func TestThreeProcessesRunEachDistributedTickOnce(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startForeground(t, testappBinary, base, "cron", "start")
	}
	all := []int{0, 1, 2}
	waitFor(t, 60*time.Second, "21 ticks seen by all three processes", func() bool {
		return len(coveredTicks(t, distributedTicks(t, processes), all, time.Time{})) >= 21
	})

	// kill -9 the process that ran the latest tick; the others must go on covering every tick
	ticks := distributedTicks(t, processes)
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
		return len(coveredTicks(t, distributedTicks(t, processes), survivors, killedAt)) >= 5
	})
	for _, i := range survivors {
		if err := processes[i].cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		<-processes[i].done
		if processes[i].err != nil {
			t.Fatalf("process %d exited with %v after SIGINT", i, processes[i].err)
		}
	}

	ticks = distributedTicks(t, processes)
	before := coveredTicks(t, ticks, all, time.Time{})
	after := coveredTicks(t, ticks, survivors, killedAt)
	// no tick anywhere in the run, covered or not, ran twice
	perProcess := make([]int, 3)
	for tick, report := range ticks {
		if len(report.ranOn) > 1 {
			t.Fatalf("tick %s ran on %v", tick, report.ranOn)
		}
		for _, i := range report.ranOn {
			perProcess[i]++
		}
	}
	t.Logf("%d ticks with all 3 up, %d after killing process %d; runs per process %v", len(before), len(after), victim, perProcess)
	if !after[0].After(before[len(before)-1]) {
		t.Fatal("the windows overlap")
	}
	if gap := after[0].Sub(killedAt); gap > 2*time.Second {
		t.Fatalf("the first covered tick after the kill is %s after it: ticks were missed", gap)
	}
	if total := perProcess[0] + perProcess[1] + perProcess[2]; total < len(before)+len(after) {
		t.Fatalf("%d runs in all, fewer than the %d covered ticks", total, len(before)+len(after))
	}
}
