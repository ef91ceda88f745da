package e2e

import (
	"strings"
	"testing"
	"time"
)

// Three processes per backend share WithLimitedRuns(3): the job runs 3 times in all; each process that wins
// a tick after that records it once as skipped, naming the limit; `cron list` says the runs are spent; a
// process started after all of them stopped runs it no more (the count is the backend's).
func TestLimitedRunsOnEveryBackend(t *testing.T) {
	t.Parallel()
	for _, backend := range everyBackend(t) {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			bases, observer := backend.folders(t, 3)
			env := []string{"TESTAPP_REGISTRATIONS=limited"}
			processes := make([]*process, 3)
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], env, append(backend.flags, "cron", "start")...)
			}
			waitFor(t, 30*time.Second, "a tick skipped after the 3 runs", func() bool { return outcomeCount(processes, "skipped") >= 1 })
			time.Sleep(3 * time.Second)
			stopAll(t, processes, []int{0, 1, 2})
			if ok := outcomeCount(processes, "ok"); ok != 3 {
				t.Fatalf("%d runs in all; want 3", ok)
			}
			for i, p := range processes {
				skipped := 0
				for _, line := range p.runs() {
					if line.str("outcome") == "skipped" {
						skipped++
						if !strings.Contains(line.str("reason"), "ran its 3 runs (WithLimitedRuns)") {
							t.Errorf("process %d: the skipped line does not name the limit: %v", i, line)
						}
					}
				}
				if skipped > 1 {
					t.Errorf("process %d skipped %d ticks; want at most one, then no more claims", i, skipped)
				}
			}
			job := jobList(t, observer, env, backend.flags)["limited"]
			if job["runs_counted"] != 3.0 || job["next_run"] != "never" || !strings.Contains(job["over"].(string), "ran its 3 runs") {
				t.Errorf("cron list: limited = %v; want 3 runs counted, no next run and why", job)
			}
			later := startForegroundEnv(t, testappBinary, bases[0], env, append(backend.flags, "cron", "start")...)
			time.Sleep(3 * time.Second)
			stopAll(t, []*process{later}, []int{0})
			if ok := outcomeCount([]*process{later}, "ok"); ok != 0 {
				t.Errorf("a process started after the 3 runs ran the job %d times; want 0", ok)
			}
		})
	}
}

// outcomeCount counts the run lines with outcome across processes.
func outcomeCount(processes []*process, outcome string) int {
	n := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") == outcome {
				n++
			}
		}
	}
	return n
}
