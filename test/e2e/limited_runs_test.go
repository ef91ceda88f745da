package e2e

import (
	"strings"
	"testing"
)

// checkLimited checks WithLimitedRuns(3) on the stopped processes (see TestScheduleSemanticsOnEveryBackend):
// limited ran 3 times in all, each process skipped at most one tick of it, naming the limit, and `cron list`
// says its runs are spent.
func checkLimited(t *testing.T, processes []*process, observer string, env, flags []string) {
	t.Helper()
	if ok := jobOutcomes(processes, "limited", "ok"); ok != 3 {
		t.Fatalf("limited ran %d times in all; want 3", ok)
	}
	for i, p := range processes {
		skipped := 0
		for _, line := range p.runs() {
			if line.str("job") == "limited" && line.str("outcome") == "skipped" {
				skipped++
				if !strings.Contains(line.str("reason"), "ran its 3 runs (WithLimitedRuns)") {
					t.Errorf("process %d: the skipped line does not name the limit: %v", i, line)
				}
			}
		}
		if skipped > 1 {
			t.Errorf("process %d skipped %d ticks of limited; want at most one, then no more claims", i, skipped)
		}
	}
	job := jobList(t, observer, env, flags)["limited"]
	if over, _ := job["over"].(string); job["runs_counted"] != 3.0 || job["next_run"] != "never" || !strings.Contains(over, "ran its 3 runs") {
		t.Errorf("cron list: limited = %v; want 3 runs counted, no next run and why", job)
	}
}

// jobOutcomes counts the run lines of job with outcome across processes.
func jobOutcomes(processes []*process, job, outcome string) int {
	n := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("job") == job && line.str("outcome") == outcome {
				n++
			}
		}
	}
	return n
}
