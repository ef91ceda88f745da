package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// everyBackend is historyBackends with PostgreSQL: a private server of each for the test.
func everyBackend(t *testing.T) []historyBackend {
	return append(historyBackends(t), historyBackend{name: "postgres", flags: postgresFlags(pgtest.Start(t, pgserver.Options{}))})
}

// Three processes per backend run the jobs of issue 22's options at once (one set of servers and
// processes per backend, to keep make test short):
//   - WithJitter: every tick of the jittered job runs once, at least its jitter after the tick, with the
//     jitter apart from the lateness;
//   - WithExclude: every third second of the excluding job is recorded once as excluded and not run, the
//     others run once;
//   - WithStartAt/WithEndAt: the window job runs each tick in [start, end) once and none outside, and `cron
//     list` says it is over;
//   - WithPauseOnFailure: fragile, which always fails, is paused for the cluster after its first failed
//     tick (or two), with a note naming the tick and the error; `cron pause --note` sets a note by hand;
//     `cron list` and `cron state` show notes; `cron resume` drops them;
//   - OverlapBufferAll: queued (1.5 s runs, every second) runs its ticks one at a time, in tick order,
//     each once; ticks that came while a run went on are buffered and run later, anywhere;
//   - OverlapCancelOther: replaced (10 s runs, every 2 s) has each run killed by the next tick, which
//     starts only after the killed run ended;
//   - OverlapTerminateOther: terminated (3 s runs ignoring their context, every 2 s) has runs killed by the
//     next tick and abandoned 1 s later, and the next ticks run;
//   - cron backfill: past ticks of steady run once each across overlapping backfills, ticks that ran on
//     schedule are skipped, bad input exits 1;
//   - WithLimitedRuns(3): limited runs 3 times in all, each process that wins a tick after that records it
//     once as skipped, `cron list` says the runs are spent, and a process started later runs it no more.
func TestScheduleSemanticsOnEveryBackend(t *testing.T) {
	t.Parallel()
	for _, backend := range everyBackend(t) {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			bases, observer := backend.folders(t, 3)
			start := time.Now().UTC().Truncate(time.Second).Add(5 * time.Second) // UTC: ticks are map keys
			end := start.Add(4 * time.Second)
			env := []string{"TESTAPP_REGISTRATIONS=schedule_semantics", "TESTAPP_WINDOW_START=" + start.Format(time.RFC3339),
				"TESTAPP_WINDOW_END=" + end.Format(time.RFC3339)}
			processes := make([]*process, 3)
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], env, append(backend.flags, "cron", "start")...)
			}
			time.Sleep(time.Until(end.Add(3 * time.Second)))
			checkListShowsTickOptions(t, observer, env, backend.flags)
			checkPauseNotes(t, processes, observer, env, backend.flags)
			checkBackfill(t, observer, env, backend.flags, start)
			stopping := time.Now()
			stopAll(t, processes, []int{0, 1, 2})
			byJob := tickOutcomes(t, processes)
			checkJittered(t, byJob["jittered"], stopping)
			checkExcluding(t, byJob["excluding"], stopping)
			checkWindow(t, byJob["window"], start, end)
			checkLimited(t, processes, observer, env, backend.flags)
			checkQueued(t, byJob["queued"])
			checkReplaced(t, byJob["replaced"])
			checkTerminated(t, byJob["terminated"])
			records := historyWith(t, observer, env, backend.flags, "excluding", "--outcome", "excluded")
			if len(records) == 0 {
				t.Error("cron history --outcome excluded shows no record of the excluding job")
			}
			if jittered := historyWith(t, observer, env, backend.flags, "jittered", "--outcome", "ok"); len(jittered) == 0 || jittered[0]["jitter_ms"] == nil {
				t.Errorf("cron history of the jittered job has no jitter_ms: %v", jittered)
			}
			later := startForegroundEnv(t, testappBinary, bases[0], env, append(backend.flags, "cron", "start")...)
			time.Sleep(3 * time.Second)
			stopAll(t, []*process{later}, []int{0})
			if ok := jobOutcomes([]*process{later}, "limited", "ok"); ok != 0 {
				t.Errorf("a process started after the 3 runs ran limited %d times; want 0", ok)
			}
		})
	}
}

// tickLine is a run line of a tick: its outcome and the attributes the checks read.
type tickLine struct {
	outcome  string
	at       time.Time // when the line was written
	jitterMS float64
	lateMS   float64
	reason   string
	errText  string // the line's error, if any
	buffered bool   // a tick taken off its queue (OverlapBufferOne, OverlapBufferAll)
}

// tickOutcomes returns the run lines of the processes by job and tick, not_selected ones left out.
func tickOutcomes(t *testing.T, processes []*process) map[string]map[time.Time][]tickLine {
	t.Helper()
	byJob := map[string]map[time.Time][]tickLine{}
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") == "not_selected" {
				continue
			}
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			at, atErr := time.Parse(time.RFC3339Nano, line.str("time"))
			if err != nil || atErr != nil {
				t.Fatalf("bad tick or time in %v", line)
			}
			if byJob[line.str("job")] == nil {
				byJob[line.str("job")] = map[time.Time][]tickLine{}
			}
			jitter, _ := line["jitter_ms"].(float64)
			late, _ := line["late_ms"].(float64)
			buffered := line.str("origin") == "buffered"
			byJob[line.str("job")][tick] = append(byJob[line.str("job")][tick], tickLine{outcome: line.str("outcome"),
				at: at, jitterMS: jitter, lateMS: late, reason: line.str("reason"), errText: line.str("error"),
				buffered: buffered})
		}
	}
	return byJob
}

// atTheStop reports whether tick came as the processes were being stopped one after the other (from
// stopping): a stopping process leaves the tick to the others (not_claimed), which may be stopping too, or
// whose timer, late on busy cores, had not fired before their own stop began; so the tick runs at most once.
func atTheStop(tick, stopping time.Time) bool { return !tick.Add(time.Second).Before(stopping) }

// checkAtTheStop checks the lines of a tick at the stop: at most one with outcome want, the others
// not_claimed.
func checkAtTheStop(t *testing.T, job string, tick time.Time, lines []tickLine, want string) {
	t.Helper()
	wanted, other := 0, 0
	for _, line := range lines {
		switch line.outcome {
		case want:
			wanted++
		case "not_claimed":
		default:
			other++
		}
	}
	if wanted > 1 || other != 0 {
		t.Errorf("%s tick %s, at the stop: %v; want at most one line %s, the others not_claimed", job, tick, lines, want)
	}
}

// checkJittered checks the jittered job's ticks; those at the stop only for running at most once.
func checkJittered(t *testing.T, ticks map[time.Time][]tickLine, stopping time.Time) {
	t.Helper()
	jitters := map[float64]bool{}
	for tick, lines := range ticks {
		if atTheStop(tick, stopping) {
			checkAtTheStop(t, "jittered", tick, lines, "ok")
			continue
		}
		if len(lines) != 1 || lines[0].outcome != "ok" {
			t.Errorf("jittered tick %s: %v; want one ok run", tick, lines)
			continue
		}
		line := lines[0]
		if line.jitterMS < 0 || line.jitterMS >= 600 || line.at.Before(tick.Add(time.Duration(line.jitterMS*float64(time.Millisecond)))) ||
			line.lateMS > 300 {
			t.Errorf("jittered tick %s: jitter %.1f ms, ran at tick+%s, late %.1f ms; want jitter in [0, 600), the run after it, the lateness apart",
				tick, line.jitterMS, line.at.Sub(tick), line.lateMS)
		}
		jitters[line.jitterMS] = true
	}
	if len(ticks) < 8 || len(jitters) < len(ticks)/2 {
		t.Errorf("%d jittered ticks with %d distinct jitters; want at least 8 ticks, their jitters mostly distinct", len(ticks), len(jitters))
	}
}

// checkExcluding checks the excluding job's ticks: every third second excluded, the others run, each once;
// those at the stop only for at most one such line.
func checkExcluding(t *testing.T, ticks map[time.Time][]tickLine, stopping time.Time) {
	t.Helper()
	excluded := 0
	for tick, lines := range ticks {
		want := "ok"
		if tick.Second()%3 == 0 {
			want, excluded = "excluded", excluded+1
		}
		if atTheStop(tick, stopping) {
			checkAtTheStop(t, "excluding", tick, lines, want)
		} else if len(lines) != 1 || lines[0].outcome != want {
			t.Errorf("excluding tick %s: %v; want one line with outcome %s", tick, lines, want)
		} else if want == "excluded" && !strings.Contains(lines[0].reason, `"*/3 * * * * *"`) {
			t.Errorf("excluded tick %s: reason %q does not name the spec", tick, lines[0].reason)
		}
	}
	if excluded < 2 {
		t.Errorf("%d excluded ticks; want at least 2", excluded)
	}
}

func checkWindow(t *testing.T, ticks map[time.Time][]tickLine, start, end time.Time) {
	t.Helper()
	for tick := start; tick.Before(end); tick = tick.Add(time.Second) {
		if lines := ticks[tick]; len(lines) != 1 || lines[0].outcome != "ok" {
			t.Errorf("window tick %s: %v; want one ok run", tick, lines)
		}
	}
	for tick := range ticks {
		if tick.Before(start) || !tick.Before(end) {
			t.Errorf("window tick %s handled outside [%s, %s)", tick, start, end)
		}
	}
}

// checkListShowsTickOptions checks `cron list -o json` from another process: each job's options, and the
// window job over with no next run.
func checkListShowsTickOptions(t *testing.T, base string, env, flags []string) {
	t.Helper()
	byName := jobList(t, base, env, flags)
	if byName["jittered"]["jitter_ms"] != 600.0 || byName["jittered"]["overlap"] != "forbid" {
		t.Errorf("list: jittered = %v; want jitter_ms 600 and overlap forbid", byName["jittered"])
	}
	if exclude, _ := byName["excluding"]["exclude"].([]any); len(exclude) != 1 || exclude[0] != "*/3 * * * * *" {
		t.Errorf("list: excluding = %v; want its exclusion", byName["excluding"])
	}
	if window := byName["window"]; window["next_run"] != "never" || !strings.Contains(window["over"].(string), "ended at") {
		t.Errorf("list: window = %v; want next_run never and why", window)
	}
	table := run(t, testappBinary, base, env, append(flags, "cron", "list")...)
	if !strings.Contains(table.stdout, "never (ended at ") || !strings.Contains(table.stdout, "jitter 600ms") {
		t.Errorf("cron list does not say the window is over, or the jitter:\n%s", table.stdout)
	}
}

// historyWith returns the records `cron history -o json` prints with args, as maps.
func historyWith(t *testing.T, base string, env, flags []string, args ...string) []map[string]any {
	t.Helper()
	r := run(t, testappBinary, base, env, append(append(flags, "cron", "history", "-o", "json", "-n", "0"), args...)...)
	var records []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &records) != nil {
		t.Fatalf("cron history %v: exit %d, %s%s", args, r.code, r.stdout, r.stderr)
	}
	return records
}
