package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAcquireListRelease(t *testing.T) {
	folder := Folder{Path: t.TempDir() + "/runtime", Prefix: "cron"}
	if entries, err := folder.List(); err != nil || len(entries) != 0 {
		t.Fatalf("a missing folder lists %v, %v; want nothing", entries, err)
	}
	record := Record{PID: os.Getpid(), AppID: "app", Mode: "foreground", StartedAt: time.Now().Round(0), Log: "stdout"}
	held, err := folder.Acquire(record, AcquireOptions{})
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
	if got.Foreign != "" || got.Record.PIDNamespace == "" || got.Record.BootID == "" {
		t.Fatalf("entry = %+v, want this namespace and boot recorded and the entry not foreign", got)
	}
	if !got.Running || got.Err != nil || got.Record.PID != record.PID || got.Record.AppID != "app" || !got.Record.StartedAt.Equal(record.StartedAt) {
		t.Fatalf("entry = %+v, want a running entry with the record", got)
	}
	if _, err := folder.Acquire(record, AcquireOptions{}); err == nil || !strings.Contains(err.Error(), "locked by another running process") {
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

func TestPrivateFileIsOwnerOnlyAndGoesWithThePidfile(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	held, err := folder.Acquire(Record{PID: os.Getpid()}, AcquireOptions{Private: []byte("s3cret")})
	if err != nil {
		t.Fatal(err)
	}
	private := folder.privateFile(os.Getpid())
	if info, err := os.Stat(private); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private file: %v, %v; want mode 0600", info, err)
	}
	if data, err := folder.ReadPrivate(os.Getpid()); err != nil || string(data) != "s3cret" {
		t.Fatalf("ReadPrivate = %q, %v", data, err)
	}
	if pidfile, _ := os.ReadFile(held.Path()); strings.Contains(string(pidfile), "s3cret") {
		t.Fatalf("the pidfile holds the private data: %s", pidfile)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := folder.ReadPrivate(os.Getpid()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Release, ReadPrivate = %v; want not exist", err)
	}
	// left by a process killed between the two removals, or next to a stale pidfile: RemoveStale takes both
	if err := os.WriteFile(folder.privateFile(424242), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder.privateFile(434343), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(folder.File(434343), []byte(`{"pid":434343}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if removed, err := folder.RemoveStale(); err != nil || len(removed) != 1 {
		t.Fatalf("RemoveStale = %v, %v", removed, err)
	}
	if left, _ := filepath.Glob(filepath.Join(folder.Path, "cron.*")); len(left) != 1 || filepath.Base(left[0]) != "cron.lock" {
		t.Fatalf("left after RemoveStale: %v; want only the folder lock", left)
	}
}

func TestAdmitSeesTheRunningPidfilesAndCanRefuse(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	held, err := folder.Acquire(Record{PID: os.Getpid(), Mode: "daemon"}, AcquireOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := held.Release(); err != nil {
			t.Error(err)
		}
	}()
	var seen []Entry
	_, err = folder.Acquire(Record{PID: 1 << 22}, AcquireOptions{Admit: func(running []Entry) error {
		seen = running
		return errors.New("one daemon is enough")
	}})
	if err == nil || err.Error() != "one daemon is enough" || len(seen) != 1 || seen[0].Record.Mode != "daemon" {
		t.Fatalf("Acquire = %v, Admit saw %+v; want the refusal and the running daemon", err, seen)
	}
	if _, err := os.Stat(folder.File(1 << 22)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused pidfile was created: %v", err)
	}
}

func TestRecordsOfAnotherNamespaceOrBootAreForeign(t *testing.T) {
	folder := Folder{Path: t.TempDir(), Prefix: "cron"}
	namespace, boot := currentOrigin()
	if namespace == "" || boot == "" {
		t.Skip("no /proc: namespaces are not compared")
	}
	records := map[int]string{
		11: fmt.Sprintf(`{"pid":11,"pid_namespace":"pid:[1]","boot_id":%q}`, boot),
		12: fmt.Sprintf(`{"pid":12,"pid_namespace":%q,"boot_id":"other-boot"}`, namespace),
		13: fmt.Sprintf(`{"pid":13,"pid_namespace":%q,"boot_id":%q}`, namespace, boot),
		14: `{"pid":14}`, // written before namespaces were recorded
	}
	for pid, content := range records {
		if err := os.WriteFile(folder.File(pid), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := folder.List()
	if err != nil || len(entries) != 4 {
		t.Fatalf("List = %+v, %v", entries, err)
	}
	want := []string{"another pid namespace (pid:[1])", "another boot or host (boot id other-boot)", "", ""}
	for i, entry := range entries {
		if entry.Foreign != want[i] {
			t.Errorf("pid %d: Foreign = %q, want %q", entry.PID, entry.Foreign, want[i])
		}
	}
}
