package e2e

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var controlEnv = []string{"TESTAPP_REGISTRATIONS=control"}

// ranAfter counts the ok lines of job after t, on processes.
func ranAfter(processes []*process, job string, after time.Time) int {
	n := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err == nil && line.str("job") == job && line.str("outcome") == "ok" && tick.After(after) {
				n++
			}
		}
	}
	return n
}

func control(t *testing.T, base string, flags []string, args ...string) result {
	t.Helper()
	return run(t, testappBinary, base, controlEnv, append(append([]string{}, flags...), append([]string{"cron"}, args...)...)...)
}

// Three processes per backend: pause stops the job on every process within 2s and survives a restart,
// resume runs no backlog; `run --wait` runs the job once on one process; `kill` ends a run with killed.
func TestJobControlAcrossTheCluster(t *testing.T) {
	t.Parallel()
	for _, backend := range historyBackends(t) {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel() // each backend has its own server and base folders
			bases, observer := backend.folders(t, 3)
			processes := make([]*process, 3)
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], controlEnv, append(backend.flags, "cron", "start")...)
			}
			waitFor(t, 30*time.Second, "every_second running", func() bool { return ranAfter(processes, "every_second", time.Time{}) >= 3 })
			checkPauseResume(t, processes, bases, observer, backend.flags)
			checkRunNow(t, processes, observer, backend.flags)
			checkKill(t, processes, observer, backend.flags)
			stopAll(t, processes, []int{0, 1, 2})
		})
	}
}

func checkPauseResume(t *testing.T, processes []*process, bases []string, observer string, flags []string) {
	t.Helper()
	if r := control(t, observer, flags, "pause", "every_second"); r.code != 0 {
		t.Fatalf("cron pause: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	pausedAt := time.Now()
	if r := control(t, observer, flags, "list"); !regexp.MustCompile(`every_second\s.*\spaused: `).MatchString(r.stdout) {
		t.Fatalf("cron list does not show every_second paused:\n%s", r.stdout)
	}
	// restart process 2: it must come back paused
	if err := processes[2].cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-processes[2].done
	processes[2] = startForegroundEnv(t, testappBinary, bases[2], controlEnv, append(flags, "cron", "start")...)
	time.Sleep(4 * time.Second)
	if n := ranAfter(processes, "every_second", pausedAt.Add(2*time.Second)); n != 0 {
		t.Fatalf("%d runs of every_second more than 2s after the pause, restarted process included", n)
	}
	if r := control(t, observer, flags, "resume", "every_second"); r.code != 0 {
		t.Fatalf("cron resume: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	resumedAt := time.Now()
	waitFor(t, 10*time.Second, "runs after the resume", func() bool { return ranAfter(processes, "every_second", resumedAt) >= 2 })
	if n := ranAfter(processes, "every_second", resumedAt.Add(-4*time.Second)); n > int(time.Since(resumedAt)/time.Second)+2 {
		t.Fatalf("%d runs since the resume %s ago: the paused ticks ran as a backlog", n, time.Since(resumedAt))
	}
}

func checkRunNow(t *testing.T, processes []*process, observer string, flags []string) {
	t.Helper()
	r := runNowUnlessBusy(t, observer, flags, "run", "--wait", "every_second")
	match := regexp.MustCompile(`request ([0-9a-f-]{36})`).FindStringSubmatch(r.stdout)
	if r.code != 0 || match == nil || !strings.Contains(r.stdout, "ended: ok") {
		t.Fatalf("cron run --wait every_second: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	ran := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("request") == match[1] && line.str("outcome") == "ok" {
				ran++
			}
		}
	}
	if ran != 1 {
		t.Fatalf("the requested run ran %d times; want once", ran)
	}
	if r := runNowUnlessBusy(t, observer, flags, "run", "--wait", "--overlap", "allow", "every_second"); r.code != 0 || !strings.Contains(r.stdout, "ended: ok") {
		t.Fatalf("cron run --wait --overlap allow every_second: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// runNowUnlessBusy runs `cron run --wait` with args, again (up to 5 times in all) while it ends skipped
// because a scheduled run of the every-second job held it (the documented answer, which names the run):
// it returns the first other result.
func runNowUnlessBusy(t *testing.T, observer string, flags []string, args ...string) result {
	t.Helper()
	for attempt := 1; ; attempt++ {
		r := control(t, observer, flags, args...)
		if attempt == 5 || r.code != 1 || !regexp.MustCompile(`ended: skipped: the previous run .* still`).MatchString(r.stdout) {
			return r
		}
		t.Logf("cron %v, attempt %d: %s", args, attempt, r.stdout)
	}
}

func checkKill(t *testing.T, processes []*process, observer string, flags []string) {
	t.Helper()
	if r := control(t, observer, flags, "kill", "long"); r.code != 1 || !strings.Contains(r.stderr, "no run of long is in progress") {
		t.Fatalf("cron kill of a job not running: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := control(t, observer, flags, "run", "long"); r.code != 0 {
		t.Fatalf("cron run long: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	waitFor(t, 10*time.Second, "the long run in cron state", func() bool {
		for _, p := range clusterState(t, observer, flags).Cluster {
			for _, r := range p.Running {
				if r.Job == "long" {
					return true
				}
			}
		}
		return false
	})
	if r := control(t, observer, flags, "kill", "long"); r.code != 0 || !strings.Contains(r.stdout, "killed long") {
		t.Fatalf("cron kill long: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	waitFor(t, 5*time.Second, "the killed line", func() bool {
		for _, p := range processes {
			for _, line := range p.runs() {
				if line.str("job") == "long" && line.str("outcome") == "killed" {
					return true
				}
			}
		}
		return false
	})
}

// Bad input: an unknown job exits 1 listing the jobs; run and kill with no live process exit 1 saying so.
func TestJobControlBadInput(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, args := range [][]string{{"pause", "nope"}, {"resume", "nope"}, {"run", "nope"}, {"kill", "nope"}} {
		if r := control(t, base, nil, args...); r.code != 1 || !strings.Contains(r.stderr, `job "nope" is unknown: the jobs are every_second, long, catchup`) {
			t.Fatalf("cron %v: exit %d: %s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := control(t, base, nil, "run", "every_second", "--overlap", "sometimes"); r.code != 1 ||
		!strings.Contains(r.stderr, `--overlap "sometimes" is not an overlap policy: valid values are forbid, allow, `+
			`buffer_one, buffer_all, cancel_other, terminate_other`) {
		t.Fatalf("cron run --overlap sometimes: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	past := time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	if r := control(t, base, nil, "backfill", "nope", "--from", past, "--to", past); r.code != 1 ||
		!strings.Contains(r.stderr, `job "nope" is unknown`) {
		t.Fatalf("cron backfill nope: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	backfill := []string{"backfill", "every_second", "--from", past, "--to", time.Now().UTC().Add(-50 * time.Minute).Format(time.RFC3339)}
	for _, args := range [][]string{{"run", "every_second"}, {"kill", "long"}, backfill} {
		if r := control(t, base, nil, args...); r.code != 1 || !strings.Contains(r.stderr, "no cron process is running") ||
			(args[0] == "backfill" && !strings.Contains(r.stderr, "nothing was queued")) {
			t.Fatalf("cron %v with no process: exit %d: %s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// All processes down over a tick of a job with WithCatchUp: the first process back runs that tick once
// (catch_up), the second does not.
func TestCatchUpAfterTheClusterWasDown(t *testing.T) {
	t.Parallel()
	for _, backend := range historyBackends(t)[:2] { // local and Redis
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel() // each backend has its own server and base folders
			bases, _ := backend.folders(t, 2)
			first := startForegroundEnv(t, testappBinary, bases[0], controlEnv, append(backend.flags, "cron", "start")...)
			waitFor(t, 30*time.Second, "a run of catchup", func() bool { return ranAfter([]*process{first}, "catchup", time.Time{}) >= 1 })
			stopAll(t, []*process{first}, []int{0})
			stoppedAt := time.Now()
			missed := stoppedAt.Truncate(5 * time.Second).Add(5 * time.Second) // the next tick, while all are down
			time.Sleep(time.Until(missed.Add(1500 * time.Millisecond)))
			processes := []*process{
				startForegroundEnv(t, testappBinary, bases[0], controlEnv, append(backend.flags, "cron", "start")...),
				startForegroundEnv(t, testappBinary, bases[1], controlEnv, append(backend.flags, "cron", "start")...),
			}
			waitFor(t, 15*time.Second, "the catch-up run", func() bool { return caughtUp(processes, missed) > 0 })
			time.Sleep(2 * time.Second)
			stopAll(t, processes, []int{0, 1})
			if n := caughtUp(processes, missed); n != 1 {
				t.Fatalf("tick %s caught up %d times; want once", missed.Format(time.RFC3339), n)
			}
		})
	}
}

// caughtUp counts the ok runs of catchup's tick that were catch-ups.
func caughtUp(processes []*process, tick time.Time) int {
	n := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			at, err := time.Parse(time.RFC3339, line.str("tick"))
			if err == nil && at.Equal(tick) && line.str("job") == "catchup" && line.str("outcome") == "ok" && line["catch_up"] == true {
				n++
			}
		}
	}
	return n
}
