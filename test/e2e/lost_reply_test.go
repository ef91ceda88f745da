package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	"github.com/hadeframe/hade/internal/redistest"
)

// Lost replies (issue 20): a claim whose call failed after the backend applied it (its reply lost) is
// settled before the entry's next tick: re-sent, it learns whether the fence names its process, so an
// applied claim never costs its tick. The Redis and etcd tests stop the backend (SIGSTOP) around 5
// consecutive ticks of the testapp's every-second distributed job: the claims of each tick are sent to a
// stopped backend, their calls time out, and the backend may apply them when it continues (SIGCONT), the
// first one applied winning the tick.
const (
	checkedTicks = 5
	// stallLead: the backend stops this long before each stalled tick, so every claim of the tick, however
	// late its process fires, is sent to a stopped backend.
	stallLead = 50 * time.Millisecond
)

// stallPlan is how the backend is stalled: timeout bounds a claim call (Redis's read_timeout, etcd's
// request timeout, PostgreSQL's statement_timeout) and the backend continues resume after each tick,
// after a claim sent at the tick timed out. engine: the backend does not re-send a failed claim itself (a
// re-send could not return before the next tick), so the engine settles it and the run line counts its
// re-sends. The stalled job runs every second.
type stallPlan struct {
	timeout, resume time.Duration
	engine          bool
}

// stalledJob is the testapp's distributed job a test stalls: its name and the environment that
// registers it.
type stalledJob struct {
	name string
	env  []string
}

// everySecond is the testapp's default every-second distributed job.
var everySecond = stalledJob{name: "every_second"}

// stall is one stalled tick: when the backend was stopped and when it continued.
type stall struct {
	tick, paused, resumed time.Time
}

// firstCheckedTick waits until every process logged 2 run lines of the every-second distributed job,
// then returns the first tick after the latest one logged that leaves time to stop the backend
// before it.
func firstCheckedTick(t *testing.T, processes []*process) time.Time {
	t.Helper()
	waitFor(t, 40*time.Second, "2 run lines from every process", func() bool {
		for _, p := range processes {
			if len(p.runs()) < 2 {
				return false
			}
		}
		return true
	})
	var latest time.Time
	for tick := range distributedTicks(t, processes, true) { // the ticks before the checked ones may fail
		if tick.After(latest) {
			latest = tick
		}
	}
	first := latest.Add(time.Second)
	for time.Until(first.Add(-stallLead)) < 300*time.Millisecond {
		first = first.Add(time.Second)
	}
	return first
}

// stallTicks stops the backend (pause) stallLead before each of checkedTicks consecutive ticks from first
// (a second apart) and continues it (resume) plan.resume after the tick; it returns what it did.
func stallTicks(t *testing.T, first time.Time, plan stallPlan, pause, resume func() error) []stall {
	t.Helper()
	var stalls []stall
	for i := 0; i < checkedTicks; i++ {
		s := stall{tick: first.Add(time.Duration(i) * time.Second)}
		time.Sleep(time.Until(s.tick.Add(-stallLead)))
		s.paused = time.Now()
		if err := pause(); err != nil {
			t.Fatalf("stop the backend before tick %s: %v", s.tick.Format(time.TimeOnly), err)
		}
		time.Sleep(time.Until(s.tick.Add(plan.resume)))
		s.resumed = time.Now()
		if err := resume(); err != nil {
			t.Fatalf("continue the backend after tick %s: %v", s.tick.Format(time.TimeOnly), err)
		}
		stalls = append(stalls, s)
	}
	for _, s := range stalls {
		t.Logf("tick %s: backend stopped at %+dms, continued at %+dms", s.tick.Format(time.TimeOnly),
			s.paused.Sub(s.tick).Milliseconds(), s.resumed.Sub(s.tick).Milliseconds())
	}
	return stalls
}

// stalledTicks returns the ticks of stalls.
func stalledTicks(stalls []stall) []time.Time {
	ticks := make([]time.Time, len(stalls))
	for i, s := range stalls {
		ticks[i] = s.tick
	}
	return ticks
}

// consecutiveTicks returns the checkedTicks ticks from first.
func consecutiveTicks(first time.Time) []time.Time {
	ticks := make([]time.Time, checkedTicks)
	for i := range ticks {
		ticks[i] = first.Add(time.Duration(i) * time.Second)
	}
	return ticks
}

// waitForTicks waits until every process logged a run line for each of ticks (at least 2, evenly spaced),
// and for the tick 2 intervals after the last (a run of a settled tick comes before its next tick).
func waitForTicks(t *testing.T, processes []*process, ticks []time.Time) {
	t.Helper()
	last := ticks[len(ticks)-1]
	want := append(slices.Clone(ticks), last.Add(2*last.Sub(ticks[len(ticks)-2])))
	waitFor(t, 30*time.Second, "a run line of every checked tick from every process", func() bool {
		logged := distributedTicks(t, processes, true)
		for _, tick := range want {
			if report := logged[tick]; report == nil || len(report.loggedBy) < len(processes) {
				return false
			}
		}
		return true
	})
}

// winnerLine returns the ok run line of tick, logged by process index.
func winnerLine(t *testing.T, processes []*process, index int, tick time.Time) logLine {
	t.Helper()
	for _, line := range processes[index].runs() {
		if line.str("outcome") == "ok" && line.str("tick") == tick.Format(time.RFC3339) {
			return line
		}
	}
	t.Fatalf("process %d logged no ok line for tick %s", index, tick.Format(time.RFC3339))
	return nil
}

// firedAt returns when the process of run line began handling its tick (and sent its claim): the line's
// time minus its duration.
func firedAt(t *testing.T, line logLine) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, line.str("time"))
	duration, ok := line["duration_ms"].(float64)
	if err != nil || !ok {
		t.Fatalf("run line without a time or a duration: %v", line)
	}
	return at.Add(-time.Duration(duration * float64(time.Millisecond)))
}

// resendsOf returns the claim_resends of a run line (0: absent).
func resendsOf(line logLine) int {
	n, _ := line["claim_resends"].(float64)
	return int(n)
}

// checkSettled checks that every process logged each of ticks, that none logged an error or a skip for
// them (each failed claim was settled) and that each ran exactly once; it returns the run line of each
// tick's run. No tick of the test, checked or not, may have run twice; an unchecked tick may have failed
// (under load, a claim bounded at 200 ms can time out at start-up, when the processes' pools connect).
// With failClosed, a checked tick may also have run nowhere, every process having failed to claim it or
// skipped it (its run line is nil), and a process other than the one that ran it may have failed to claim
// it.
func checkSettled(t *testing.T, processes []*process, ticks []time.Time, failClosed bool) []logLine {
	t.Helper()
	reports := distributedTicks(t, processes, true) // outside ticks, an error or a skip is not checked
	runsPerProcess(t, reports, len(processes))
	var runs []logLine
	for _, tick := range ticks {
		report := reports[tick]
		if report == nil || len(report.loggedBy) != len(processes) {
			t.Fatalf("tick %s: not every process logged it: %+v", tick.Format(time.RFC3339), report)
		}
		if failClosed && len(report.ranOn) == 0 {
			t.Logf("tick %s ran nowhere (failed closed): %v", tick.Format(time.RFC3339), report.lines)
			runs = append(runs, nil)
			continue
		}
		for i, lines := range report.lines {
			for _, line := range lines { // with failClosed, a process other than the runner may have failed
				if !failClosed && (strings.HasPrefix(line, "error ") || strings.HasPrefix(line, "skipped ")) {
					t.Fatalf("tick %s: process %d logged %q: its claim was not settled", tick.Format(time.RFC3339), i, line)
				}
			}
		}
		if len(report.ranOn) != 1 {
			t.Fatalf("tick %s ran on processes %v; want exactly one", tick.Format(time.RFC3339), report.ranOn)
		}
		line := winnerLine(t, processes, report.ranOn[0], tick)
		t.Logf("tick %s ran on process %d, fired at %+dms, claim_resends %d, first error %q",
			tick.Format(time.TimeOnly), report.ranOn[0], firedAt(t, line).Sub(tick).Milliseconds(),
			resendsOf(line), line.str("claim_first_error"))
		runs = append(runs, line)
	}
	return runs
}

// checkEngineSettled checks that the run of each stalled tick whose claim call timed out while the backend
// was stopped (it fired more than timeout before the backend continued) says its claim was re-sent: the
// engine settled it. The other runs fired too late for their call to time out (a loaded host).
func checkEngineSettled(t *testing.T, stalls []stall, runs []logLine, timeout time.Duration) {
	t.Helper()
	checked := 0
	for i, s := range stalls {
		if !firedAt(t, runs[i]).Add(timeout + 20*time.Millisecond).Before(s.resumed) {
			continue
		}
		checked++
		if resendsOf(runs[i]) < 1 || runs[i].str("claim_first_error") == "" {
			t.Errorf("tick %s: its claim call timed out, but its run line does not say the claim was re-sent: %v",
				s.tick.Format(time.RFC3339), runs[i])
		}
	}
	if checked == 0 {
		t.Fatal("no stalled tick fired early enough for its claim call to time out: nothing was checked")
	}
}

// checkRecorded checks the run records of job's ticks (`cron history -o json` in base with flags) against their
// runs' lines: at most one record of each tick, the run's (outcome ok, its app id and claim_resends), and
// none "missed". need says how many ticks that ran must be recorded. Unless every one must, a tick may also
// have claim errors of other processes: a claim that the stall left unsettled is recorded as an "error"
// attempt of a process that did not run the tick (checkSettled checks from the run lines that no other
// process ran it).
func checkRecorded(t *testing.T, base string, flags []string, job stalledJob, ticks []time.Time, runs []logLine,
	need recordsNeeded) {
	t.Helper()
	records := lostReplyHistory(t, base, flags, job)
	recorded := 0
	for i, tick := range ticks {
		found := recordsOf(t, records, tick)
		if runs[i] == nil { // ran nowhere (failed closed): no run record
			continue
		}
		want := historyRecord{Tick: tick.Format(time.RFC3339), Outcome: "ok", AppID: runs[i].str("app_id"),
			ClaimResends: resendsOf(runs[i])}
		if need != recordEvery {
			found = withoutClaimErrors(found, want.AppID)
		}
		switch {
		case len(found) == 0 && need == recordEvery:
			t.Errorf("tick %s has no run record", tick.Format(time.RFC3339))
		case len(found) > 1 || (len(found) == 1 && found[0] != want):
			t.Errorf("tick %s: records %+v; want one, %+v", tick.Format(time.RFC3339), found, want)
		}
		recorded += len(found)
	}
	t.Logf("%d of the %d checked ticks recorded", recorded, len(ticks))
	if recorded == 0 && need != recordAny {
		t.Error("no checked tick was recorded")
	}
}

// recordsNeeded says how many of the checked ticks that ran checkRecorded wants recorded.
type recordsNeeded int

const (
	recordEvery recordsNeeded = iota // every one
	recordOne                        // at least one: a record written while the backend is stopped may be dropped
	// recordAny: none may be recorded; the stalls (PostgreSQL's, every second) may drop every batch written
	// between them, under load too
	recordAny
)

// withoutClaimErrors returns records without the claim errors ("error" records whose error is the claim's)
// of processes other than runner.
func withoutClaimErrors(records []historyRecord, runner string) []historyRecord {
	var kept []historyRecord
	for _, r := range records {
		if r.AppID == runner || r.Outcome != "error" || !strings.HasPrefix(r.Error, "claim tick: ") {
			r.Error = "" // compared to a run's record, which names none
			kept = append(kept, r)
		}
	}
	return kept
}

// recordsOf returns the records of tick: of the tick itself, or "missed" records of ticks it is among.
func recordsOf(t *testing.T, records []historyRecord, tick time.Time) []historyRecord {
	t.Helper()
	var found []historyRecord
	for _, r := range records {
		first, err := time.Parse(time.RFC3339, r.Tick)
		last := first
		if err == nil && r.LastTick != "" {
			last, err = time.Parse(time.RFC3339, r.LastTick)
		}
		if err != nil {
			t.Fatalf("record %+v: %v", r, err)
		}
		if first.Equal(tick) || (r.Outcome == "missed" && first.Before(tick) && !last.Before(tick)) {
			r.LastTick = "" // compared to a run's record, which has none
			found = append(found, r)
		}
	}
	return found
}

// historyRecord is what checkRecorded compares of a record of `cron history -o json`.
type historyRecord struct {
	Tick         string `json:"tick"`
	LastTick     string `json:"last_tick"`
	Outcome      string `json:"outcome"`
	AppID        string `json:"app_id"`
	ClaimResends int    `json:"claim_resends"`
	Error        string `json:"error"`
}

// lostReplyHistory returns every run record of the testapp's job.
func lostReplyHistory(t *testing.T, base string, flags []string, job stalledJob) []historyRecord {
	t.Helper()
	args := append(slices.Clone(flags), "cron", "history", job.name, "-o", "json", "-n", "0")
	r := run(t, testappBinary, base, job.env, args...)
	var records []historyRecord
	if err := json.Unmarshal([]byte(r.stdout), &records); r.code != 0 || err != nil {
		t.Fatalf("cron history -o json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	return records
}

// startStalledProcesses starts n testapp cron processes registering job (debug log: their not_selected
// lines too) with flags, in base.
func startStalledProcesses(t *testing.T, n int, base string, job stalledJob, flags []string) []*process {
	t.Helper()
	processes := make([]*process, n)
	for i := range processes {
		args := append(slices.Clone(flags), "--log-level", "debug", "cron", "start")
		processes[i] = startForegroundEnv(t, testappBinary, base, job.env, args...)
	}
	return processes
}

// finishStalled waits for the stalled ticks' lines, stops the processes and checks the ticks (see
// checkSettled), returning their runs' lines.
func finishStalled(t *testing.T, processes []*process, stalls []stall, failClosed bool) []logLine {
	t.Helper()
	indexes := make([]int, len(processes))
	for i := range processes {
		indexes[i] = i
	}
	waitForTicks(t, processes, stalledTicks(stalls))
	stopAll(t, processes, indexes)
	return checkSettled(t, processes, stalledTicks(stalls), failClosed)
}

// Redis with read_timeout=200ms (the other timeouts at their default, so one call's bound, 1.2 s, crosses
// the next tick and the backend does not re-send a claim itself), stopped from 50 ms before each of 5
// ticks until 500 ms after it (a claim sent at the tick is applied about 300 ms after its call timed
// out): 3 processes run each tick exactly once, on the process the fence names, and the run's line and
// record count the engine's re-sends.
func TestRedisLostRepliesAreSettled(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "")
	plan := stallPlan{timeout: 200 * time.Millisecond, resume: 500 * time.Millisecond, engine: true}
	url := server.URL() + "?read_timeout=" + plan.timeout.String()
	flags := []string{"--distributed", "redis", "--redis-url", url}
	base := t.TempDir()
	processes := startStalledProcesses(t, 3, base, everySecond, flags)
	stalls := stallTicks(t, firstCheckedTick(t, processes), plan, server.Pause, server.Resume)
	runs := finishStalled(t, processes, stalls, false)
	checkEngineSettled(t, stalls, runs, plan.timeout)
	checkRecorded(t, base, flags, everySecond, stalledTicks(stalls), runs, recordOne)
}

// etcd, its 3 members stopped from 50 ms before each of 5 ticks until after the claims' requests timed
// out: 3 processes run each tick exactly once. With a request timeout of 200 ms (members continued 500 ms
// after the tick) the backend itself re-sends a failed claim until one request timeout before the next
// tick, so it mostly settles the claim before the engine would: the run lines need not count re-sends,
// and that the claims failed shows in the outage each process logs. With 500 ms (continued 650 ms after
// the tick) a re-send could not return before the next tick, the backend makes none, and the engine
// settles the claim: the run lines count its re-sends.
func TestEtcdLostRepliesAreSettled(t *testing.T) {
	t.Parallel()
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	each := func(do func(*etcdserver.Member) error) func() error {
		return func() error {
			for _, m := range cluster.Members {
				if err := do(m); err != nil {
					return err
				}
			}
			return nil
		}
	}
	pause, resume := each((*etcdserver.Member).Pause), each((*etcdserver.Member).Resume)
	for _, plan := range []stallPlan{{timeout: 200 * time.Millisecond, resume: 500 * time.Millisecond},
		{timeout: 500 * time.Millisecond, resume: 650 * time.Millisecond, engine: true}} {
		t.Run(fmt.Sprintf("request timeout %s", plan.timeout), func(t *testing.T) {
			flags := append(etcdFlags(cluster), "--etcd-request-timeout", plan.timeout.String(),
				"--etcd-prefix", fmt.Sprintf("/lost-%s/", plan.timeout))
			base := t.TempDir()
			processes := startStalledProcesses(t, 3, base, everySecond, flags)
			stalls := stallTicks(t, firstCheckedTick(t, processes), plan, pause, resume)
			runs := finishStalled(t, processes, stalls, false)
			checkOutagesLogged(t, processes, stalls, plan.timeout)
			if plan.engine {
				checkEngineSettled(t, stalls, runs, plan.timeout)
			}
			checkRecorded(t, base, flags, everySecond, stalledTicks(stalls), runs, recordOne)
		})
	}
}

// Local: a claim is a transaction of the claiming process itself on the service's state file, under
// flock(2): no request travels, so there is no reply to lose, and a process stopped mid-claim holds the
// lock and learns the answer when it continues. What can fail after the claim is applied is the end of
// writeFence: it writes the new record at offset 0, then truncates the file to it, and the truncate
// (ftruncate(2), e.g. EIO) fails the call although the state file names the process (the close that
// releases the lock returns no error). The test injects that failure into every ftruncate of the state
// file with strace (only that path: the SQLite history is untouched), in 2 processes: each tick's winning
// claim fails after its write, is re-sent, learns it won, and the tick runs exactly once.
func TestLocalClaimFailedAfterItsWriteIsSettled(t *testing.T) {
	t.Parallel()
	strace := requireStrace(t)
	base := t.TempDir()
	stateFile := filepath.Join(base, "storage", "runtime", "distributed", "every_second.lock")
	processes := make([]*process, 2)
	pids := make([]int, len(processes))
	for i := range processes {
		processes[i] = startForeground(t, strace, base, "-f", "--seccomp-bpf", "-qq", "-o", os.DevNull,
			"-e", "trace=ftruncate", "-e", "inject=ftruncate:error=EIO", "-P", stateFile,
			testappBinary, "--log-level", "debug", "cron", "start")
		pids[i] = tracedPID(t, processes[i])
	}
	ticks := consecutiveTicks(firstCheckedTick(t, processes))
	waitForTicks(t, processes, ticks)
	for i, p := range processes {
		stopTraced(t, p, pids[i])
	}
	runs := checkSettled(t, processes, ticks, false)
	for i, line := range runs {
		if resendsOf(line) < 1 || !strings.Contains(line.str("claim_first_error"), "truncate") {
			t.Errorf("tick %s: its claim failed after its write, but its run line does not say it was re-sent: %v",
				ticks[i].Format(time.RFC3339), line)
		}
	}
	checkRecorded(t, base, nil, everySecond, ticks, runs, recordEvery)
}

// requireStraceEnv, set to 1 by make test, makes a missing strace, or one that cannot trace here, fail the
// test rather than skip it.
const requireStraceEnv = "HADE_REQUIRE_STRACE"

// requireStrace returns the path of strace; when strace is missing or cannot trace here (ptrace refused)
// it fails t under HADE_REQUIRE_STRACE=1 and skips it otherwise.
func requireStrace(t *testing.T) string {
	t.Helper()
	missing := t.Skipf
	if os.Getenv(requireStraceEnv) == "1" {
		missing = t.Fatalf
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		missing("strace is not on the PATH (make test installs it): it injects the failed truncate")
	}
	if out, err := exec.Command(strace, "-f", "-qq", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		missing("strace cannot trace here (%v): %s", err, out)
	}
	return strace
}

// tracedPID returns the pid of the cron process p (a strace) traces, from its "cron started" line, and
// kills it at the test's end if it still runs (strace killed would leave it running, detached).
func tracedPID(t *testing.T, p *process) int {
	t.Helper()
	var pid float64
	waitFor(t, 20*time.Second, "cron started", func() bool {
		if started := p.logged("cron started"); len(started) > 0 {
			pid, _ = started[0]["pid"].(float64)
			return true
		}
		return false
	})
	if pid <= 0 {
		t.Fatalf("the cron started line has no pid: %v", p.logged("cron started"))
	}
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			if err := syscall.Kill(int(pid), syscall.SIGKILL); err != nil {
				t.Logf("kill the traced process %d: %v", int(pid), err)
			}
		}
	})
	return int(pid)
}

// stopTraced stops the cron process pid that p, a strace, traces (SIGINT: strace blocks it itself) and
// checks that it exited 0.
func stopTraced(t *testing.T, p *process, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("the traced cron process %d exited with %v after SIGINT", pid, p.err)
	}
}
