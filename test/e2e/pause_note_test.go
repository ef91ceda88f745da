package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// checkPauseNotes checks the processes' pause on failure of fragile and the notes of cron pause, list,
// state and resume (see TestScheduleSemanticsOnEveryBackend).
func checkPauseNotes(t *testing.T, processes []*process, observer string, env, flags []string) {
	t.Helper()
	waitFor(t, 30*time.Second, "3 ticks of fragile recorded as paused with the note", func() bool {
		return pausedTicks(processes, "fragile") >= 3
	})
	note := jobList(t, observer, env, flags)["fragile"]["pause_note"]
	if note, _ := note.(string); !strings.HasPrefix(note, "paused on failure: tick ") || !strings.Contains(note, "the upstream answered 503") {
		t.Fatalf("cron list: fragile's pause note is %q; want the failed tick and its error", note)
	}
	checkFailuresBeforePause(t, processes)
	r := run(t, testappBinary, observer, env, append(flags, "cron", "pause", "steady", "--note", "maintenance: ticket 42")...)
	if r.code != 0 || !strings.Contains(r.stdout, "maintenance: ticket 42") {
		t.Fatalf("cron pause --note: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	checkStatePaused(t, observer, env, flags, map[string]string{"steady": "maintenance: ticket 42"})
	long := run(t, testappBinary, observer, env, append(flags, "cron", "pause", "steady", "--note", strings.Repeat("x", 1025))...)
	if long.code != 1 || !strings.Contains(long.stderr, "at most 1024") {
		t.Errorf("a 1025-byte note: exit %d, %s; want 1 naming the bound", long.code, long.stderr)
	}
	for _, job := range []string{"steady", "fragile"} {
		if r := run(t, testappBinary, observer, env, append(flags, "cron", "resume", job)...); r.code != 0 {
			t.Fatalf("cron resume %s: exit %d, %s", job, r.code, r.stderr)
		}
	}
	if steady := jobList(t, observer, env, flags)["steady"]; steady["paused"] != false || steady["pause_note"] != nil {
		t.Errorf("after cron resume, steady is %v; want not paused, no note", steady)
	}
}

// pausedTicks counts the paused ticks of job whose line gives the pause on failure's note (each logged by
// the process that won it).
func pausedTicks(processes []*process, job string) int {
	paused := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("job") == job && line.str("outcome") == "paused" &&
				strings.Contains(line.str("reason"), "paused on failure: tick ") {
				paused++
			}
		}
	}
	return paused
}

// checkFailuresBeforePause checks that fragile failed at most twice before the pause held everywhere: the
// failed tick, and one more claimed on another process before its heartbeat brought the pause.
func checkFailuresBeforePause(t *testing.T, processes []*process) {
	t.Helper()
	failed := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("job") == "fragile" && line.str("outcome") == "error" {
				failed++
			}
		}
		if len(p.logged("cron pause on failure")) > 1 {
			t.Errorf("a process paused on failure %d times", len(p.logged("cron pause on failure")))
		}
	}
	if failed < 1 || failed > 2 {
		t.Errorf("fragile failed %d times before it was paused; want 1, or 2 when another process claimed the next tick first", failed)
	}
}

// jobList returns `cron list -o json`'s jobs by name.
func jobList(t *testing.T, base string, env, flags []string) map[string]map[string]any {
	t.Helper()
	r := run(t, testappBinary, base, env, append(flags, "cron", "list", "-o", "json")...)
	var list struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil {
		t.Fatalf("cron list -o json: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	byName := map[string]map[string]any{}
	for _, job := range list.Jobs {
		byName[job["job"].(string)] = job
	}
	return byName
}

// checkStatePaused checks that `cron state -o json` lists want among the paused jobs with their notes,
// and the table shows the notes.
func checkStatePaused(t *testing.T, base string, env, flags []string, want map[string]string) {
	t.Helper()
	r := run(t, testappBinary, base, env, append(flags, "cron", "state", "-o", "json")...)
	var state struct {
		Paused map[string]string `json:"paused"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &state); err != nil {
		t.Fatalf("cron state -o json printed %q: %v", r.stdout, err)
	}
	table := run(t, testappBinary, base, env, append(flags, "cron", "state")...)
	for job, note := range want {
		if state.Paused[job] != note || !strings.Contains(table.stdout, note) {
			t.Errorf("cron state: %s paused with %q (table:\n%s); want note %q", job, state.Paused[job], table.stdout, note)
		}
	}
}
