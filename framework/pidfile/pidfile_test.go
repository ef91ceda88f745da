package pidfile

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestAcquireListRelease(t *testing.T) {
	folder := Folder{Path: t.TempDir() + "/runtime", Prefix: "cron"}
	if entries, err := folder.List(); err != nil || len(entries) != 0 {
		t.Fatalf("a missing folder lists %v, %v; want nothing", entries, err)
	}
	record := Record{PID: os.Getpid(), AppID: "app", Mode: "foreground", StartedAt: time.Now().Round(0), Args: []string{"hade", "cron", "start"}, Log: "stdout"}
	held, err := folder.Acquire(record)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(held.Path()); err != nil || info.Mode().Perm() != 0o640 {
		t.Fatalf("pidfile mode = %v, %v; want 0640", info.Mode().Perm(), err)
	}
	// a second open of the same pidfile, even in this process, sees the lock: as another process would
	entries, err := folder.List()
	if err != nil || len(entries) != 1 {
		t.Fatalf("List = %v, %v", entries, err)
	}
	got := entries[0]
	if !got.Running || got.Err != nil || got.Record.PID != record.PID || got.Record.AppID != "app" || !got.Record.StartedAt.Equal(record.StartedAt) {
		t.Fatalf("entry = %+v, want a running entry with the record", got)
	}
	if _, err := folder.Acquire(record); err == nil || !strings.Contains(err.Error(), "locked by another running process") {
		t.Fatalf("a second Acquire of a held pidfile: %v", err)
	}
	if removed, err := folder.RemoveStale(); err != nil || len(removed) != 0 {
		t.Fatalf("RemoveStale removed %v, %v; a held pidfile is not stale", removed, err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := folder.Inspect(record.PID); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Release, Inspect = %v; want not exist", err)
	}
}

func TestStaleAndCorruptPidfiles(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	// a pidfile left by a killed process: content intact, nobody holds the lock
	if err := os.WriteFile(folder.File(424242), []byte(`{"pid":424242,"mode":"daemon"}`+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder.File(434343), []byte("garbage"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder.File(454545), []byte(`{"pid":1}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder.Path+"/cron.notapid.pid", []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	entries, err := folder.List()
	if err != nil || len(entries) != 3 {
		t.Fatalf("List = %+v, %v; want the 3 pid-named files", entries, err)
	}
	if entries[0].Running || entries[0].Err != nil {
		t.Fatalf("stale entry %+v: want not running, readable", entries[0])
	}
	if entries[1].Err == nil || !strings.Contains(entries[1].Err.Error(), folder.File(434343)) {
		t.Fatalf("corrupt entry error %v: want it to name the file", entries[1].Err)
	}
	if entries[2].Err == nil || !strings.Contains(entries[2].Err.Error(), "names pid 1") {
		t.Fatalf("mismatched entry error %v", entries[2].Err)
	}
	removed, err := folder.RemoveStale()
	if err != nil || len(removed) != 1 || removed[0].PID != 424242 {
		t.Fatalf("RemoveStale = %+v, %v; want only the readable stale one", removed, err)
	}
	for _, pid := range []int{434343, 454545} {
		if _, err := os.Stat(folder.File(pid)); err != nil {
			t.Fatalf("unreadable pidfile %d was removed: %v", pid, err)
		}
	}
}
