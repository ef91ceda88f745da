package distributed

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

var _ contract.Distributed = (*Local)(nil)

func newTestLocal(t *testing.T) *Local {
	t.Helper()
	local, err := NewLocal(filepath.Join(t.TempDir(), "distributed"))
	if err != nil {
		t.Fatal(err)
	}
	return local
}

func TestClaimTickFence(t *testing.T) {
	local := newTestLocal(t)
	tick := time.Now().Truncate(time.Second)
	hold := 2 * time.Second

	if got, err := local.ClaimTick("svc", "a", tick, hold); err != nil || got != "a" {
		t.Fatalf("first claim = %q, %v; want a", got, err)
	}
	if got, err := local.ClaimTick("svc", "b", tick, hold); err != nil || got != "a" {
		t.Fatalf("same tick by b = %q, %v; want a, no error", got, err)
	}
	if got, err := local.ClaimTick("svc", "a", tick, hold); err != nil || got != "a" {
		t.Fatalf("same tick again by a = %q, %v; want a", got, err)
	}
	if _, err := local.ClaimTick("svc", "b", tick.Add(-time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("older tick: err = %v, want ErrTickClosed", err)
	}
	if got, err := local.ClaimTick("svc", "b", tick.Add(time.Second), hold); err != nil || got != "b" {
		t.Fatalf("next tick by b = %q, %v; want b", got, err)
	}
	if got, err := local.ClaimTick("other", "c", tick, hold); err != nil || got != "c" {
		t.Fatalf("other service = %q, %v; want c: services are independent", got, err)
	}
}

func TestClaimTickWindow(t *testing.T) {
	local := newTestLocal(t)
	now := time.Now()
	local.now = func() time.Time { return now }
	hold := 2 * time.Second
	if _, err := local.ClaimTick("svc", "a", now.Add(-3*time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("claim 3s after the tick with a 2s hold: err = %v, want ErrTickClosed", err)
	}
	if _, err := local.ClaimTick("svc", "a", now.Add(3*time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("claim 3s before the tick with a 2s hold: err = %v, want ErrTickClosed", err)
	}
	if got, err := local.ClaimTick("svc", "a", now.Add(-1900*time.Millisecond), hold); err != nil || got != "a" {
		t.Fatalf("claim 1.9s late = %q, %v; want a", got, err)
	}
}

// A process that fires a tick late, after another claimed it, never runs it again, however late.
func TestClaimTickLateProcessNeverRunsTwice(t *testing.T) {
	local := newTestLocal(t)
	tick := time.Now().Truncate(time.Second)
	hold := 10 * time.Second
	if _, err := local.ClaimTick("svc", "fast", tick, hold); err != nil {
		t.Fatal(err)
	}
	for _, late := range []time.Duration{0, 100 * time.Millisecond, time.Second, 9 * time.Second} {
		local.now = func() time.Time { return tick.Add(late) }
		if got, err := local.ClaimTick("svc", "late", tick, hold); got == "late" || (err != nil && !errors.Is(err, contract.ErrTickClosed)) {
			t.Fatalf("%s late: got %q, %v; the tick is fast's", late, got, err)
		}
	}
	// after a later tick was claimed, the old one is closed for everybody
	local.now = time.Now
	if _, err := local.ClaimTick("svc", "fast", tick.Add(time.Second), hold); err != nil {
		t.Fatal(err)
	}
	if got, err := local.ClaimTick("svc", "late", tick, hold); !errors.Is(err, contract.ErrTickClosed) || got != "" {
		t.Fatalf("old tick after fence moved = %q, %v; want ErrTickClosed", got, err)
	}
}

func TestClaimTickRejectsBadInput(t *testing.T) {
	local := newTestLocal(t)
	tick := time.Now()
	cases := []struct {
		service, app string
		tick         time.Time
		hold         time.Duration
		want         string
	}{
		{"", "a", tick, time.Second, "service name is empty"},
		{"a b", "a", tick, time.Second, "white space"},
		{"../etc", "a", tick, time.Second, "looks like a path"},
		{"svc", "", tick, time.Second, "app id is empty"},
		{"svc", "a", time.Time{}, time.Second, "zero time"},
		{"svc", "a", tick, 0, "hold time 0s must be positive"},
		{"svc", "a", tick, -time.Second, "must be positive"},
	}
	for _, c := range cases {
		_, err := local.ClaimTick(c.service, c.app, c.tick, c.hold)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ClaimTick(%q, %q, %v, %s) error = %v, want it to mention %q", c.service, c.app, c.tick, c.hold, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(local.Folder(), "..", "etc.lock")); err == nil {
		t.Fatal("a path-like service name created a file outside the folder")
	}
}

func TestClaimTickCorruptStateFailsClosed(t *testing.T) {
	local := newTestLocal(t)
	path := local.LockFile("svc")
	if err := os.WriteFile(path, []byte("not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := local.ClaimTick("svc", "a", time.Now(), time.Second)
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
	_, err := local.ClaimTick("svc", "a", time.Now(), time.Second)
	if err == nil || errors.Is(err, contract.ErrTickClosed) {
		t.Fatalf("err = %v, want a backend error", err)
	}
}

func TestSelectHoldsForTheWindow(t *testing.T) {
	local := newTestLocal(t)
	start := time.Unix(1_800_000_000, 0) // a multiple of 10s
	local.now = func() time.Time { return start.Add(time.Second) }
	if got, err := local.Select("svc", "a", 10*time.Second); err != nil || got != "a" {
		t.Fatalf("Select by a = %q, %v", got, err)
	}
	local.now = func() time.Time { return start.Add(9 * time.Second) }
	if got, err := local.Select("svc", "b", 10*time.Second); err != nil || got != "a" {
		t.Fatalf("Select by b in the same window = %q, %v; want a", got, err)
	}
	local.now = func() time.Time { return start.Add(10 * time.Second) }
	if got, err := local.Select("svc", "b", 10*time.Second); err != nil || got != "b" {
		t.Fatalf("Select by b in the next window = %q, %v; want b", got, err)
	}
	if _, err := local.Select("svc", "b", 0); err == nil {
		t.Fatal("Select with a zero hold time must fail")
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

// 100 goroutines race for each of 1000 ticks (a barrier per tick): exactly one wins each.
func TestClaimTick100GoroutinesExactlyOneWinnerPerTick(t *testing.T) {
	const goroutines, ticks = 100, 1000
	local := newTestLocal(t)
	hold := time.Hour
	base := time.Now().Truncate(time.Second)
	if _, err := local.ClaimTick("race", "warmup", base, hold); err != nil {
		t.Fatal(err)
	}
	lockInode := inode(t, local.LockFile("race"))
	fdsBefore := openFileCount(t)

	winners := make([][]string, ticks)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	ready := make(chan struct{})
	barriers := make([]chan struct{}, ticks)
	for i := range barriers {
		barriers[i] = make(chan struct{})
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(app string) {
			defer wg.Done()
			for i := 0; i < ticks; i++ {
				ready <- struct{}{}
				<-barriers[i]
				selected, err := local.ClaimTick("race", app, base.Add(time.Duration(i+1)*time.Millisecond), hold)
				mu.Lock()
				switch {
				case err != nil && !errors.Is(err, contract.ErrTickClosed):
					errs = append(errs, err)
				case err == nil && selected == app:
					winners[i] = append(winners[i], app)
				}
				mu.Unlock()
			}
		}(fmt.Sprintf("app-%d", g))
	}
	for i := 0; i < ticks; i++ {
		for g := 0; g < goroutines; g++ { // every goroutine is at tick i
			<-ready
		}
		close(barriers[i])
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d claims failed, first: %v", len(errs), errs[0])
	}
	for i, w := range winners {
		if len(w) != 1 {
			t.Fatalf("tick %d has %d winners %v, want exactly 1", i, len(w), w)
		}
	}
	if got := inode(t, local.LockFile("race")); got != lockInode {
		t.Fatalf("lock file was replaced (inode %d -> %d): lock files must never be deleted", lockInode, got)
	}
	if after := openFileCount(t); after > fdsBefore {
		t.Fatalf("open files grew from %d to %d over %d claims", fdsBefore, after, goroutines*ticks)
	}
}

// 3 processes race for the same 1000 ticks, paced by a shared wall-clock schedule so that they contend
// on each tick: exactly one process wins each tick.
func TestClaimTick3ProcessesExactlyOneWinnerPerTick(t *testing.T) {
	const processes, ticks = 3, 1000
	folder := filepath.Join(t.TempDir(), "distributed")
	start := time.Now().Add(500 * time.Millisecond)
	var outputs [processes]strings.Builder
	commands := make([]*exec.Cmd, processes)
	for p := range commands {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperClaimer$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			"HADE_TEST_CLAIMER=1",
			"HADE_TEST_FOLDER="+folder,
			"HADE_TEST_APP="+fmt.Sprintf("process-%d", p),
			"HADE_TEST_START="+strconv.FormatInt(start.UnixNano(), 10),
			"HADE_TEST_TICKS="+strconv.Itoa(ticks),
		)
		cmd.Stdout = &outputs[p]
		cmd.Stderr = &outputs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		commands[p] = cmd
	}
	for p, cmd := range commands {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", p, err, outputs[p].String())
		}
	}
	wins := make([]int, ticks)
	perProcess := make([]int, processes)
	for p := range outputs {
		for _, line := range strings.Split(outputs[p].String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "won "); ok {
				i, err := strconv.Atoi(rest)
				if err != nil {
					t.Fatalf("bad helper line %q", line)
				}
				wins[i]++
				perProcess[p]++
			}
			if strings.HasPrefix(line, "error ") {
				t.Fatalf("process %d: %s", p, line)
			}
		}
	}
	for i, n := range wins {
		if n != 1 {
			t.Fatalf("tick %d was won %d times, want exactly 1 (wins per process: %v)", i, n, perProcess)
		}
	}
	t.Logf("wins per process: %v", perProcess)
}

// TestHelperClaimer is the body of one process of the 3-process test; it does nothing otherwise.
func TestHelperClaimer(t *testing.T) {
	if os.Getenv("HADE_TEST_CLAIMER") != "1" {
		t.Skip("helper process of TestClaimTick3ProcessesExactlyOneWinnerPerTick")
	}
	local, err := NewLocal(os.Getenv("HADE_TEST_FOLDER"))
	if err != nil {
		t.Fatal(err)
	}
	app := os.Getenv("HADE_TEST_APP")
	startNanos, _ := strconv.ParseInt(os.Getenv("HADE_TEST_START"), 10, 64)
	ticks, _ := strconv.Atoi(os.Getenv("HADE_TEST_TICKS"))
	start := time.Unix(0, startNanos)
	base := start.Truncate(time.Second)
	for i := 0; i < ticks; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 2 * time.Millisecond)))
		selected, err := local.ClaimTick("race", app, base.Add(time.Duration(i+1)*time.Millisecond), time.Hour)
		switch {
		case err != nil && !errors.Is(err, contract.ErrTickClosed):
			fmt.Printf("error %d: %v\n", i, err)
		case err == nil && selected == app:
			fmt.Printf("won %d\n", i)
		}
	}
}
