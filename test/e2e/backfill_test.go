package e2e

import (
	"strings"
	"testing"
	"time"
)

// checkBackfill backfills the steady job (every second) through the live processes: a past range runs each
// tick once; an overlapping one runs only the ticks not backfilled yet; a range the processes ran on
// schedule (scheduled, from start) runs nothing; the runs' records say origin backfill; bad input exits 1
// and queues nothing.
func checkBackfill(t *testing.T, base string, env, flags []string, scheduled time.Time) {
	t.Helper()
	past := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	backfill := func(from, to time.Time, want string) {
		t.Helper()
		r := run(t, testappBinary, base, env, append(flags, "cron", "backfill", "steady", "--from", from.Format(time.RFC3339),
			"--to", to.Format(time.RFC3339), "--wait")...)
		if r.code != 0 || !strings.Contains(r.stdout, "ended: ok: "+want) {
			t.Errorf("backfill from %s to %s: exit %d\n%s%s\nwant exit 0 and %q; its records other than ok: %v",
				from.Format(time.RFC3339), to.Format(time.RFC3339), r.code, r.stdout, r.stderr, want,
				backfilledNotOK(t, base, env, flags))
		}
	}
	backfill(past, past.Add(5*time.Second), "5 ticks: 5 ok")
	backfill(past.Add(3*time.Second), past.Add(8*time.Second), "5 ticks: 3 ok, 2 skipped")
	backfill(scheduled, scheduled.Add(3*time.Second), "3 ticks: 3 skipped")
	backfilled := map[string]int{}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		clear(backfilled) // the history is written in batches, off the runs' path: read until it has them
		for _, r := range historyWith(t, base, env, flags, "steady", "--since", "2h", "-n", "0") {
			if r["origin"] == "backfill" && r["outcome"] == "ok" {
				backfilled[r["tick"].(string)]++
			}
		}
		if len(backfilled) >= 8 || time.Now().After(deadline) {
			break
		}
	}
	for n := range 8 {
		if tick := past.Add(time.Duration(n) * time.Second).Format(time.RFC3339); backfilled[tick] != 1 {
			t.Errorf("tick %s has %d ok records of origin backfill; want 1", tick, backfilled[tick])
		}
	}
	for _, bad := range [][]string{
		{"steady", "--from", past.Format(time.RFC3339), "--to", past.Format(time.RFC3339)},
		{"steady", "--from", "yesterday", "--to", past.Format(time.RFC3339)},
		{"steady", "--from", past.Format(time.RFC3339), "--to", past.Add(4 * time.Hour).Format(time.RFC3339)},
		{"nosuchjob", "--from", past.Format(time.RFC3339), "--to", past.Add(time.Second).Format(time.RFC3339)},
	} {
		if r := run(t, testappBinary, base, env, append(append(flags, "cron", "backfill"), bad...)...); r.code != 1 || r.stderr == "" {
			t.Errorf("cron backfill %v: exit %d, stderr %q; want exit 1 naming the problem", bad, r.code, r.stderr)
		}
	}
}

// backfilledNotOK returns the history's records of steady from a backfill whose outcome is not ok, with
// their reasons: what a failed check of checkBackfill prints.
func backfilledNotOK(t *testing.T, base string, env, flags []string) []map[string]any {
	t.Helper()
	var notOK []map[string]any
	for _, r := range historyWith(t, base, env, flags, "steady", "--since", "2h", "-n", "0") {
		if r["origin"] == "backfill" && r["outcome"] != "ok" {
			notOK = append(notOK, r)
		}
	}
	return notOK
}
