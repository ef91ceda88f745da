package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// manyJobs is how many distributed jobs TESTAPP_REGISTRATIONS=many registers.
const manyJobs = 200

// manyJobsRun is how long each of the many jobs runs: long enough that 250ms into a tick every claim of
// the tick is decided (and its loss logged) while the runs of the winners still go on.
const manyJobsRun = "500ms"

// startManyJobs starts `testapp cron start` with TESTAPP_REGISTRATIONS=many (runs of manyJobsRun) in dir,
// collecting its lines; at debug level, so that the ticks it lost are logged as soon as their claims are
// decided.
func startManyJobs(t *testing.T, dir string) *process {
	t.Helper()
	return startForegroundEnv(t, testappBinary, dir, []string{"TESTAPP_REGISTRATIONS=many",
		"TESTAPP_JOB_DURATION=" + manyJobsRun}, "--log-level", "debug", "cron", "start")
}

// jobTick is one tick of one job.
type jobTick struct {
	job  string
	tick string // RFC 3339
}

// okRuns counts the ok runs of each job tick across processes, and per tick the processes that won.
func okRuns(processes []*process) (runs map[jobTick]int, perTick map[string]int) {
	runs, perTick = map[jobTick]int{}, map[string]int{}
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") == "ok" {
				runs[jobTick{line.str("job"), line.str("tick")}]++
				perTick[line.str("tick")]++
			}
		}
	}
	return runs, perTick
}

// Three processes share 200 every-second distributed jobs of 500ms; one gets SIGTERM 250ms into a tick,
// while its runs of that tick are going. Every tick a process won ran (ok) on it, no tick ran twice, and
// the ticks around the stop ran once each: those the stopping process did not claim ran elsewhere.
func TestSIGTERMMidTickRunsEveryWonTick(t *testing.T) {
	base := t.TempDir()
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startManyJobs(t, base)
	}
	waitFor(t, 60*time.Second, "3 ticks run by the three processes", func() bool {
		_, perTick := okRuns(processes)
		complete := 0
		for _, n := range perTick {
			if n == manyJobs {
				complete++
			}
		}
		return complete >= 3
	})
	termTick := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(termTick.Add(250 * time.Millisecond)))
	victim := mostWon(processes, termTick.Format(time.RFC3339))
	if err := processes[victim].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-processes[victim].done
	if processes[victim].err != nil {
		t.Fatalf("the process exited with %v after SIGTERM", processes[victim].err)
	}
	lastTick := termTick.Add(3 * time.Second).Format(time.RFC3339)
	waitFor(t, 30*time.Second, "every job of the 3 ticks after the stop run by the survivors", func() bool {
		_, perTick := okRuns(processes)
		return perTick[lastTick] >= manyJobs
	})
	var survivors []int
	for i := range processes {
		if i != victim {
			survivors = append(survivors, i)
		}
	}
	stopAll(t, processes, survivors)

	checkWonTicksRan(t, processes)
	runs, _ := okRuns(processes)
	for key, n := range runs {
		if n > 1 {
			t.Fatalf("job %s tick %s ran %d times", key.job, key.tick, n)
		}
	}
	for tick := termTick.Add(-2 * time.Second); !tick.After(termTick.Add(3 * time.Second)); tick = tick.Add(time.Second) {
		for job := 0; job < manyJobs; job++ {
			if runs[jobTick{fmt.Sprintf("job-%03d", job), tick.Format(time.RFC3339)}] != 1 {
				t.Fatalf("job-%03d tick %s ran %d times around the stop at %s, want once", job, tick.Format(time.RFC3339),
					runs[jobTick{fmt.Sprintf("job-%03d", job), tick.Format(time.RFC3339)}], termTick.Format(time.RFC3339))
			}
		}
	}
	won := countWon(processes[victim], termTick.Format(time.RFC3339))
	if won == 0 {
		t.Fatalf("the stopped process won no job of tick %s: the test did not stop it mid-tick", termTick.Format(time.RFC3339))
	}
	t.Logf("process %d stopped 250ms into tick %s after winning %d of the %d jobs of that tick; all ran", victim,
		termTick.Format(time.RFC3339), won, manyJobs)
}

// mostWon returns the index of the process that won the most jobs of tick, its runs still going: the one
// that logged the fewest lost claims (not_selected, not_claimed) of tick, which each process logs as soon as
// its claims are decided.
func mostWon(processes []*process, tick string) int {
	most, fewestLost := 0, -1
	for i, p := range processes {
		lost := 0
		for _, line := range p.runs() {
			if outcome := line.str("outcome"); line.str("tick") == tick && outcome != "ok" {
				lost++
			}
		}
		if fewestLost < 0 || lost < fewestLost {
			most, fewestLost = i, lost
		}
	}
	return most
}

// countWon counts the ok runs of p for tick.
func countWon(p *process, tick string) int {
	won := 0
	for _, line := range p.runs() {
		if line.str("tick") == tick && line.str("outcome") == "ok" {
			won++
		}
	}
	return won
}

// checkWonTicksRan fails the test for any line of a won tick (selected is the line's own app id) that is
// not ok, and for any outcome but ok, not_claimed and not_selected (logged at debug level).
func checkWonTicksRan(t *testing.T, processes []*process) {
	t.Helper()
	for i, p := range processes {
		for _, line := range p.runs() {
			outcome := line.str("outcome")
			if line.str("selected") == line.str("app_id") && outcome != "ok" {
				t.Fatalf("process %d won a tick and did not run it: %v", i, line)
			}
			if outcome != "ok" && outcome != "not_claimed" && outcome != "not_selected" {
				t.Fatalf("process %d: unexpected outcome %v", i, line)
			}
		}
	}
}
