package report

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/internal/pidfile"
)

// testEntries are pidfiles: of a process running here, of one running in another pid namespace, an
// unreadable one held by a process, an unreadable one held by none, and one left by a process gone.
func testEntries() []pidfile.Entry {
	started := tick.Add(-90 * time.Second)
	return []pidfile.Entry{
		{Path: "/rt/cron.10.pid", PID: 10, Running: true, Record: pidfile.Record{PID: 10, AppID: "app10",
			Mode: "daemon", StartedAt: started, Log: "/log/cron.log",
			Settings: map[string]string{"distributed": "local"}}},
		{Path: "/rt/cron.11.pid", PID: 11, Running: true, Foreign: "another pid namespace (pid:[1])",
			Record: pidfile.Record{PID: 11, Mode: "foreground", StartedAt: started, Log: "stdout"}},
		{Path: "/rt/cron.12.pid", PID: 12, Running: true, Err: errors.New("pidfile 12 is bad")},
		{Path: "/rt/cron.13.pid", PID: 13, Err: errors.New("pidfile 13 is bad")},
		{Path: "/rt/cron.14.pid", PID: 14, Record: pidfile.Record{PID: 14, StartedAt: started}},
	}
}

func TestLocalLines(t *testing.T) {
	entries := testEntries()
	lines, err := LocalLines(entries, "nowhere", tick)
	started := tick.Add(-90 * time.Second).Format(time.RFC3339)
	want := []string{
		"cron is running: pid 10, since " + started + " (1m30s ago), daemon, app_id app10, provider local, " +
			"log /log/cron.log",
		"cron process of another pid namespace (pid:[1]), not trusted here: pid 11 there, since " + started +
			", foreground, provider not recorded, log stdout; it holds pidfile /rt/cron.11.pid, but its pid names " +
			"another process or none here",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines\n got %q\nwant %q", lines, want)
	}
	wantErr := "pidfile 12 is bad; a process holds it, find it with `fuser /rt/cron.12.pid`\n" +
		"pidfile 13 is bad; no process holds it, so it can be removed"
	if err == nil || err.Error() != wantErr {
		t.Errorf("error %v, want %q", err, wantErr)
	}
	if running := Running(entries); len(running) != 1 || running[0].PID != 10 {
		t.Errorf("Running = %+v, want pid 10 alone", running)
	}
	lines, err = LocalLines(entries[1:2], "no locked pidfile in /rt", tick)
	if err != nil || len(lines) != 2 || lines[1] != "cron is not running (no locked pidfile in /rt)" {
		t.Errorf("without a process of here: %q, %v", lines, err)
	}
}

func TestSettingsNotes(t *testing.T) {
	running := Running(testEntries())
	if notes := SettingsNotes(running, "provider local"); len(notes) != 0 {
		t.Errorf("same settings: %q", notes)
	}
	want := "note: pid 10 uses provider local; the lines below are about this command's settings " +
		"(provider redis)"
	if notes := SettingsNotes(running, "provider redis"); !slices.Equal(notes, []string{want}) {
		t.Errorf("notes %q, want %q", notes, want)
	}
	running[0].Record.Settings = nil // recorded by an older version: nothing to compare
	if notes := SettingsNotes(running, "provider redis"); len(notes) != 0 {
		t.Errorf("no recorded settings: %q", notes)
	}
}

func TestPidfilesInJSON(t *testing.T) {
	data, err := json.Marshal(Pidfiles(testEntries()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"pidfile":"/rt/cron.10.pid","pid":10,"running":true,"app_id":"app10","mode":"daemon",` +
			`"started_at":"2026-12-03T20:58:30Z","log":"/log/cron.log","settings":{"distributed":"local"}}`,
		`"foreign":"another pid namespace (pid:[1])"`,
		`{"pidfile":"/rt/cron.13.pid","pid":13,"running":false,"error":"pidfile 13 is bad"}`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON %s\nlacks %s", data, want)
		}
	}
	if none := Pidfiles(nil); none == nil {
		t.Error("Pidfiles(nil) is nil, want an empty slice (JSON [])")
	}
}
