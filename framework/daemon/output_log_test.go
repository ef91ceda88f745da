package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// An output log past its size is renamed and continued in a new file, and the descriptor it writes
// through (the daemon's fds 1 and 2) follows the new file; reopen does the same after a rename.
func TestOutputLogRotatesAndMovesItsDescriptor(t *testing.T) {
	folder := t.TempDir()
	path := filepath.Join(folder, "cron.output.log")
	first, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	output := newOutputLog(path, first, int(first.Fd()))
	output.maxSize = 10
	for _, text := range []string{"123456\n", "abcdef\n"} {
		if _, err := output.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	// a write straight to the descriptor, as the Go runtime's crash output, lands in the new file too
	if _, err := first.Write([]byte("crash\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "abcdef\ncrash\n" {
		t.Fatalf("current file %q, want the second write and the crash line", got)
	}
	backups, _ := filepath.Glob(filepath.Join(folder, "cron.output-*.log"))
	if len(backups) != 1 || readFile(t, backups[0]) != "123456\n" {
		t.Fatalf("backups %v, want one holding the first write", backups)
	}

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := output.reopen(); err != nil {
		t.Fatal(err)
	}
	if _, err := output.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "after\n" {
		t.Fatalf("file after the rename and reopen %q, want %q", got, "after\n")
	}
	if link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", first.Fd())); link != path {
		t.Fatalf("descriptor points at %q, want %q", link, path)
	}
	var stat unix.Stat_t
	if err := unix.Stat(path, &stat); err != nil || stat.Mode&0o777 != 0o640 {
		t.Fatalf("mode %o, %v; want 0640", stat.Mode&0o777, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
