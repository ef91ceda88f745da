package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	"github.com/hadeframe/hade/internal/redistest"
)

// historyBackend is a backend the history tests run on: its root flags, and whether the processes share
// one base folder (local: one host's folder) or each have their own (Redis, etcd: other hosts).
type historyBackend struct {
	name   string
	flags  []string
	shared bool
}

// historyBackends starts a private Redis and a private etcd member for the test.
func historyBackends(t *testing.T) []historyBackend {
	return []historyBackend{
		{name: "local", shared: true},
		{name: "redis", flags: redisFlags(redistest.Start(t, ""))},
		{name: "etcd", flags: etcdFlags(etcdtest.Start(t, etcdserver.Options{Members: 1}))},
	}
}

// folders returns the base folders of n processes and of an observer ("another host" unless shared).
func (b historyBackend) folders(t *testing.T, n int) (bases []string, observer string) {
	shared := t.TempDir()
	for i := 0; i < n; i++ {
		if b.shared {
			bases = append(bases, shared)
		} else {
			bases = append(bases, t.TempDir())
		}
	}
	if b.shared {
		return bases, shared
	}
	return bases, t.TempDir()
}

var historyEnv = []string{"TESTAPP_REGISTRATIONS=history"}

// jsonRecord is a record of `cron history --output json`.
type jsonRecord struct {
	Job      string  `json:"job"`
	Tick     string  `json:"tick"`
	LastTick string  `json:"last_tick"`
	Count    int     `json:"count"`
	AppID    string  `json:"app_id"`
	Hostname string  `json:"hostname"`
	PID      int     `json:"pid"`
	Outcome  string  `json:"outcome"`
	Duration float64 `json:"duration_ms"`
}

func history(t *testing.T, base string, flags []string, args ...string) []jsonRecord {
	t.Helper()
	r := run(t, testappBinary, base, historyEnv, append(append(flags, "cron", "history", "-o", "json", "-n", "0"), args...)...)
	if r.code != 0 {
		t.Fatalf("cron history %v exited %d: %s%s", args, r.code, r.stdout, r.stderr)
	}
	var records []jsonRecord
	if err := json.Unmarshal([]byte(r.stdout), &records); err != nil {
		t.Fatalf("cron history -o json printed %q: %v", r.stdout, err)
	}
	return records
}

// jsonState is what `cron state --output json` prints of the cluster.
type jsonState struct {
	Cluster []struct {
		AppID       string `json:"app_id"`
		PID         int    `json:"pid"`
		RecordsLost int64  `json:"records_lost"`
		Running     []struct {
			Job string `json:"job"`
		} `json:"running"`
	} `json:"cluster"`
}

func clusterState(t *testing.T, base string, flags []string) jsonState {
	t.Helper()
	r := run(t, testappBinary, base, historyEnv, append(flags, "cron", "state", "-o", "json")...)
	var state jsonState
	if err := json.Unmarshal([]byte(r.stdout), &state); err != nil || (r.code != 0 && r.code != 3) {
		t.Fatalf("cron state -o json exited %d: %s%s (%v)", r.code, r.stdout, r.stderr, err)
	}
	return state
}

// okTicks returns the ticks of job each process logged with outcome ok, as "tick app_id" keys.
func okTicks(processes []*process, job string) map[string]int {
	ticks := map[string]int{}
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("job") == job && line.str("outcome") == "ok" {
				ticks[line.str("tick")+" "+line.str("app_id")]++
			}
		}
	}
	return ticks
}

// Two processes for about 12s: the history lists exactly the ticks that ran, once each, with the app id
// of the process that ran it, as the log lines say; another host's `cron state` sees both processes and a
// run in progress.
func TestHistoryRecordsEveryRunOnceAndStateSeesTheCluster(t *testing.T) {
	t.Parallel()
	for _, backend := range historyBackends(t) {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel() // each backend has its own server and base folders
			bases, observer := backend.folders(t, 2)
			processes := make([]*process, 2)
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], historyEnv, append(backend.flags, "cron", "start")...)
			}
			waitFor(t, 30*time.Second, "both processes and a slow run in another host's cron state", func() bool {
				state := clusterState(t, observer, backend.flags)
				running := false
				for _, p := range state.Cluster {
					running = running || (len(p.Running) > 0 && p.Running[0].Job == "slow")
				}
				return len(state.Cluster) == 2 && running
			})
			waitFor(t, 30*time.Second, "12 ticks of every_second", func() bool { return len(okTicks(processes, "every_second")) >= 12 })
			stopAll(t, processes, []int{0, 1})
			for _, job := range []string{"every_second", "tick", "slow"} {
				logged := okTicks(processes, job)
				recorded := map[string]int{}
				for _, r := range history(t, observer, backend.flags, job, "--outcome", "ok") {
					recorded[r.Tick+" "+r.AppID]++
				}
				if fmt.Sprint(recorded) != fmt.Sprint(logged) {
					t.Fatalf("job %s: history %v\ndiffers from the log lines %v", job, recorded, logged)
				}
			}
			if state := clusterState(t, observer, backend.flags); len(state.Cluster) != 0 {
				t.Fatalf("after both stopped, cron state lists %+v; a stopped process deregisters", state.Cluster)
			}
		})
	}
}

// Both processes SIGSTOPped over several ticks: the ticks nobody ran are recorded once, as one missed
// record; a kill -9 of a process drops it out of cron state within a few heartbeats; retention trims.
func TestHistoryMissedTicksKilledProcessAndRetention(t *testing.T) {
	t.Parallel()
	for _, backend := range historyBackends(t) {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel() // each backend has its own server and base folders
			bases, observer := backend.folders(t, 2)
			flags := append(append([]string{}, backend.flags...), "--history-max-runs", "30")
			processes := make([]*process, 2)
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], historyEnv, append(flags, "cron", "start")...)
			}
			waitFor(t, 30*time.Second, "3 ticks of every_second", func() bool { return len(okTicks(processes, "every_second")) >= 3 })
			for _, p := range processes {
				if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(4 * time.Second)
			for _, p := range processes {
				if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
					t.Fatal(err)
				}
			}
			before := len(okTicks(processes, "every_second"))
			waitFor(t, 30*time.Second, "3 ticks after the pause", func() bool { return len(okTicks(processes, "every_second")) >= before+3 })
			checkOneMissedGap(t, history(t, observer, flags, "every_second"), okTicks(processes, "every_second"))

			victim := processes[1].cmd.Process.Pid
			if err := processes[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-processes[1].done
			waitFor(t, 15*time.Second, "the killed process to drop out of cron state", func() bool {
				state := clusterState(t, observer, flags)
				return len(state.Cluster) == 1 && state.Cluster[0].PID != victim
			})
			waitFor(t, 60*time.Second, "over 30 runs of tick", func() bool { return len(okTicks(processes, "tick")) > 32 })
			stopAll(t, processes, []int{0})
			if got := len(history(t, observer, flags, "tick")); got != 30 {
				t.Fatalf("%d records of tick after more than 32 runs with --history-max-runs 30; want 30", got)
			}
		})
	}
}

// checkOneMissedGap checks that the history of every_second holds one missed record, of at least two
// ticks, none of which ran.
func checkOneMissedGap(t *testing.T, records []jsonRecord, ran map[string]int) {
	t.Helper()
	var missed []jsonRecord
	for _, r := range records {
		if r.Outcome == "missed" {
			missed = append(missed, r)
		}
	}
	if len(missed) != 1 || missed[0].Count < 2 {
		t.Fatalf("missed records %+v; want one, of at least 2 ticks (both processes were stopped 4s)", missed)
	}
	first, _ := time.Parse(time.RFC3339, missed[0].Tick)
	last, _ := time.Parse(time.RFC3339, missed[0].LastTick)
	for key := range ran {
		tick, _ := time.Parse(time.RFC3339, strings.Fields(key)[0])
		if !tick.Before(first) && !tick.After(last) {
			t.Fatalf("tick %s ran (%s) but is in the missed record %+v", tick, key, missed[0])
		}
	}
}

// Redis down for 3s: the normal job runs on, its records are dropped and counted (cron state shows the
// count once the heartbeat works again), and the outage is logged once.
func TestHistoryStoreDownRunsGoOnAndTheLossIsCounted(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "")
	flags := redisFlags(server)
	base := t.TempDir()
	p := startForegroundEnv(t, testappBinary, base, historyEnv, append(flags, "cron", "start")...)
	waitFor(t, 30*time.Second, "2 runs of tick", func() bool { return len(okTicks([]*process{p}, "tick")) >= 2 })
	server.Stop()
	before := len(okTicks([]*process{p}, "tick"))
	time.Sleep(3 * time.Second)
	if during := len(okTicks([]*process{p}, "tick")) - before; during < 2 {
		t.Fatalf("%d runs of the normal job while Redis was down for 3s; runs must go on", during)
	}
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "cron state to show the records lost", func() bool {
		state := clusterState(t, base, flags)
		return len(state.Cluster) == 1 && state.Cluster[0].RecordsLost > 0
	})
	stopAll(t, []*process{p}, []int{0})
	if failed, resumed := len(p.logged("run history: a write failed; runs go on, and their records are dropped and counted until it works again")),
		len(p.logged("run history: writes work again")); failed != 1 || resumed != 1 {
		t.Fatalf("the outage was logged %d times and its end %d times; want once each", failed, resumed)
	}
}

// A local history database that is not a database: runs go on, `cron history` exits 1 naming the file,
// and the file is left as it was.
func TestHistoryCorruptLocalDatabase(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	path := filepath.Join(base, "storage", "runtime", "distributed", "history.sqlite")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	garbage := []byte(strings.Repeat("not a database\n", 300))
	if err := os.WriteFile(path, garbage, 0o640); err != nil {
		t.Fatal(err)
	}
	p := startForegroundEnv(t, testappBinary, base, historyEnv, "cron", "start")
	waitFor(t, 30*time.Second, "3 runs of every_second", func() bool { return len(okTicks([]*process{p}, "every_second")) >= 3 })
	stopAll(t, []*process{p}, []int{0})
	r := run(t, testappBinary, base, historyEnv, "cron", "history")
	if r.code != 1 || !strings.Contains(r.stderr, path) {
		t.Fatalf("cron history exited %d: %s%s; want 1 naming %s", r.code, r.stdout, r.stderr, path)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != string(garbage) {
		t.Fatalf("the corrupt database was changed or removed (%v)", err)
	}
}

// `cron history` of an unknown job exits 1 listing the job names; with Redis down it exits 1 naming
// --redis-url; on a fresh folder it creates nothing.
func TestHistoryBadInput(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r := run(t, testappBinary, base, historyEnv, "cron", "history", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, `job "nope" is unknown: the jobs are tick, every_second, slow`) {
		t.Fatalf("cron history nope: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, testappBinary, base, historyEnv, "--distributed", "redis", "--redis-url", "redis://127.0.0.1:1/0", "cron", "history")
	if r.code != 1 || !strings.Contains(r.stderr, "--redis-url") {
		t.Fatalf("cron history with Redis down: exit %d, %s%s; want 1 naming --redis-url", r.code, r.stdout, r.stderr)
	}
	r = run(t, testappBinary, base, historyEnv, "cron", "history")
	if r.code != 0 || !strings.Contains(r.stdout, "no run recorded") {
		t.Fatalf("cron history on a fresh folder: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	for _, command := range [][]string{{"cron", "history"}, {"cron", "list"}, {"cron", "state"}} {
		r = run(t, testappBinary, base, []string{"TESTAPP_REGISTRATIONS=invalid"}, command...)
		if (r.code != 0 && r.code != 3) || !strings.Contains(r.stderr, "two words") {
			t.Fatalf("%v with invalid registrations: exit %d, %s%s; want it to run, warning of them", command, r.code, r.stdout, r.stderr)
		}
	}
	if entries, err := os.ReadDir(base); err != nil || len(entries) != 0 {
		t.Fatalf("cron history, list and state created %v in a fresh base folder (%v)", entries, err)
	}
}
