package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/flock"
)

// newTestLocal returns a Local of a new folder, created (NewLocal creates nothing).
func newTestLocal(t *testing.T) *localBackend {
	t.Helper()
	folder := filepath.Join(t.TempDir(), "distributed")
	if err := os.MkdirAll(folder, 0o750); err != nil {
		t.Fatal(err)
	}
	local, err := newLocal(folder, historyRetention{})
	if err != nil {
		t.Fatal(err)
	}
	return local
}

func TestClaimTickCorruptStateFailsClosed(t *testing.T) {
	local := newTestLocal(t)
	path := local.LockFile("svc")
	if err := os.WriteFile(path, []byte("not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := claim(local, "svc", "a", time.Now(), time.Second)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "unreadable") {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != "not json\n" {
		t.Fatalf("the corrupt file was changed to %q; it must be kept for a person to look at", data)
	}
}

func TestClaimTickBackendErrorIsAnError(t *testing.T) {
	local := newTestLocal(t)
	if err := os.Mkdir(local.LockFile("svc"), 0o700); err != nil { // a directory where the lock file goes
		t.Fatal(err)
	}
	_, err := claim(local, "svc", "a", time.Now(), time.Second)
	if err == nil || errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("err = %v, want a backend error", err)
	}
}

func openFileCount(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("lock file: %v", err)
	}
	return info.Sys().(*syscall.Stat_t).Ino
}

// The window is measured by the backend's clock (here, injected).
func TestLocalClaimWindowAndSelectUseTheClock(t *testing.T) {
	local := newTestLocal(t)
	now := time.Now()
	local.now = func() time.Time { return now }
	hold := 2 * time.Second
	if _, err := claim(local, "svc", "a", now.Add(-3*time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("claim 3s after the tick with a 2s hold: err = %v, want ErrTickClosed", err)
	}
	if _, err := claim(local, "svc", "a", now.Add(3*time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("claim 3s before the tick with a 2s hold: err = %v, want ErrTickClosed", err)
	}
	if got, err := claim(local, "svc", "a", now.Add(-1900*time.Millisecond), hold); err != nil || got != "a" {
		t.Fatalf("claim 1.9s late = %q, %v; want a", got, err)
	}
}

// Lock files are permanent and claims leave no descriptor open.
func TestLocalLockFilesStayAndDescriptorsDoNotGrow(t *testing.T) {
	local := newTestLocal(t)
	base := time.Now().Truncate(time.Second)
	if _, err := claim(local, "svc", "a", base, time.Hour); err != nil {
		t.Fatal(err)
	}
	lockInode := inode(t, local.LockFile("svc"))
	before := openFileCount(t)
	for i := 1; i <= 1000; i++ {
		app := []string{"a", "b"}[i%2]
		if _, err := claim(local, "svc", app, base.Add(time.Duration(i)*time.Millisecond), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if got := inode(t, local.LockFile("svc")); got != lockInode {
		t.Fatalf("lock file was replaced (inode %d -> %d): lock files must never be deleted", lockInode, got)
	}
	if after := openFileCount(t); after > before {
		t.Fatalf("open files grew from %d to %d over 1000 claims", before, after)
	}
}

// The definition rule at the edge of LiveUntil, by the backend's (injected) clock.
func TestLocalDefinitionTakesOverJustAfterLiveUntil(t *testing.T) {
	local := newTestLocal(t)
	start := time.Unix(1_800_000_000, 0)
	now := start
	local.now = func() time.Time { return now }
	hold := time.Second
	claimAt := func(app, definition string, tick time.Time) (string, error) {
		claimed, err := local.ClaimTick(context.Background(), contract.Claim{Service: "svc", AppID: app, Tick: tick,
			HoldTime: hold, Definition: definition, LiveUntil: tick.Add(time.Minute + hold)})
		return claimed.Holder, err
	}
	if got, err := claimAt("a", "every minute", start); err != nil || got != "a" {
		t.Fatalf("a = %q, %v", got, err)
	}
	liveUntil := start.Add(time.Minute + hold)
	now = liveUntil
	if _, err := claimAt("b", "every 30s", now); !errors.Is(err, contract.ErrDefinitionConflict) {
		t.Fatalf("b at a's LiveUntil: %v, want ErrDefinitionConflict", err)
	}
	now = liveUntil.Add(time.Nanosecond)
	if got, err := claimAt("b", "every 30s", now); err != nil || got != "b" {
		t.Fatalf("b just after a's LiveUntil = %q, %v; want b", got, err)
	}
}

// ctx ends the wait for another process's lock, and an ended ctx claims nothing.
func TestLocalClaimWaitingForTheLockReturnsWhenCtxEnds(t *testing.T) {
	local := newTestLocal(t)
	local.lockWait = time.Minute
	holder, err := os.OpenFile(local.LockFile("svc"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if locked, err := flock.TryLock(holder); err != nil || !locked {
		t.Fatalf("lock: %v, %v", locked, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := local.ClaimTick(ctx, contract.Claim{Service: "svc", AppID: "a", Tick: time.Now(), HoldTime: time.Second})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it wait for the lock
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("claim waiting for the lock after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the claim waiting for the lock did not return when its ctx ended")
	}
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := local.ClaimTick(ctx, contract.Claim{Service: "svc", AppID: "a", Tick: time.Now(), HoldTime: time.Second}); !errors.Is(err, context.Canceled) {
		t.Fatalf("claim with an ended ctx = %v, want context.Canceled", err)
	}
	if data, err := os.ReadFile(local.LockFile("svc")); err != nil || len(data) != 0 {
		t.Fatalf("the state file holds %q, %v; no claim was made", data, err)
	}
}
