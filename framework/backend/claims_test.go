package backend_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend/etcd"
	"github.com/hadeframe/hade/framework/backend/local"
	"github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	"github.com/hadeframe/hade/internal/redistest"
)

// store is one shared backend store (a folder, a Redis) and how to open clients of it.
type store struct {
	name string
	// open returns a new client of the store, as another process would have.
	open func(t *testing.T) contract.Backend
	// env tells a helper process how to open the store (see openFromEnv).
	env []string
}

// stores returns a fresh local store, a fresh Redis store (a redis-server of the test's own) and a fresh
// etcd store (a 3-member cluster of the test's own).
func stores(t *testing.T) []store {
	folder := filepath.Join(t.TempDir(), "distributed")
	server := redistest.Start(t, "")
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	return []store{
		{
			name: "local",
			open: func(t *testing.T) contract.Backend {
				local, err := local.New(local.Config{Folder: folder})
				if err != nil {
					t.Fatal(err)
				}
				return local
			},
			env: []string{"HADE_TEST_BACKEND=local", "HADE_TEST_STORE=" + folder},
		},
		{
			name: "redis",
			open: func(t *testing.T) contract.Backend {
				backend, err := redis.New(context.Background(), redis.Config{URL: server.URL(), Prefix: "test:"})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = backend.Close() })
				return backend
			},
			env: []string{"HADE_TEST_BACKEND=redis", "HADE_TEST_STORE=" + server.URL()},
		},
		{
			name: "etcd",
			open: func(t *testing.T) contract.Backend {
				backend, err := etcd.New(context.Background(), etcd.Config{Endpoints: cluster.Endpoints()})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = backend.Close() })
				return backend
			},
			env: []string{"HADE_TEST_BACKEND=etcd", "HADE_TEST_STORE=" + cluster.Endpoints()},
		},
	}
}

func TestClaimTickFence(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			a, b := s.open(t), s.open(t)
			tick := time.Now().Truncate(time.Second)
			hold := 2 * time.Second
			if got, err := claim(a, "svc", "a", tick, hold); err != nil || got != "a" {
				t.Fatalf("first claim = %q, %v; want a", got, err)
			}
			if got, err := claim(b, "svc", "b", tick, hold); err != nil || got != "a" {
				t.Fatalf("same tick by b = %q, %v; want a, no error", got, err)
			}
			if got, err := claim(a, "svc", "a", tick, hold); err != nil || got != "a" {
				t.Fatalf("same tick again by a = %q, %v; want a", got, err)
			}
			if _, err := claim(b, "svc", "b", tick.Add(-time.Second), hold); !errors.Is(err, contract.ErrTickClosed) {
				t.Fatalf("older tick: err = %v, want ErrTickClosed", err)
			}
			if got, err := claim(b, "svc", "b", tick.Add(time.Second), hold); err != nil || got != "b" {
				t.Fatalf("next tick by b = %q, %v; want b", got, err)
			}
			if got, err := claim(a, "other", "c", tick, hold); err != nil || got != "c" {
				t.Fatalf("other service = %q, %v; want c: services are independent", got, err)
			}
			if _, err := claim(a, "far", "a", tick.Add(-time.Minute), hold); !errors.Is(err, contract.ErrTickClosed) {
				t.Fatalf("a tick a minute old with a 2s hold: err = %v, want ErrTickClosed", err)
			}
			if _, err := claim(a, "far", "a", tick.Add(time.Minute), hold); !errors.Is(err, contract.ErrTickClosed) {
				t.Fatalf("a tick a minute ahead with a 2s hold: err = %v, want ErrTickClosed", err)
			}
		})
	}
}

// A process firing a tick 0, 100ms, 1s or two intervals after another process claimed it never runs it
// again; and once a later tick is claimed, an old tick is closed for everybody.
func TestClaimTickLateProcessNeverRunsTwice(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			fast, late := s.open(t), s.open(t)
			const interval = time.Second
			hold := 3 * interval
			for i, lateness := range []time.Duration{0, 100 * time.Millisecond, time.Second, 2 * interval} {
				service := fmt.Sprintf("late-%d", i)
				tick := time.Now().Add(-lateness) // the late process fires it lateness after the tick
				if _, err := claim(fast, service, "fast", tick, hold); err != nil {
					t.Fatal(err)
				}
				got, err := claim(late, service, "late", tick, hold)
				if got == "late" || (err != nil && !errors.Is(err, contract.ErrTickClosed)) {
					t.Fatalf("%s late: got %q, %v; the tick is fast's", lateness, got, err)
				}
				// the fast process has moved on to the next tick before the late one fires the old tick
				if _, err := claim(fast, service, "fast", tick.Add(interval), hold); err != nil {
					t.Fatal(err)
				}
				if got, err := claim(late, service, "late", tick, hold); !errors.Is(err, contract.ErrTickClosed) || got != "" {
					t.Fatalf("%s late after the fence moved: %q, %v; want ErrTickClosed", lateness, got, err)
				}
			}
		})
	}
}

func TestClaimTickRejectsBadInput(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			backend := s.open(t)
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
				_, err := claim(backend, c.service, c.app, c.tick, c.hold)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("claim(%q, %q, %v, %s) error = %v, want it to mention %q", c.service, c.app, c.tick, c.hold, err, c.want)
				}
			}
			ok := contract.Claim{Service: "svc", AppID: "a", Tick: tick, HoldTime: time.Second, Definition: "d"}
			early, long := ok, ok
			early.LiveUntil = tick.Add(-time.Nanosecond)
			long.Definition = strings.Repeat("d", 1025)
			for claim, want := range map[*contract.Claim]string{&early: "is before the tick", &long: "at most 1024"} {
				if _, err := backend.ClaimTick(context.Background(), *claim); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("ClaimTick(%.60v) error = %v, want it to mention %q", *claim, err, want)
				}
			}
			// a zero LiveUntil is Tick+HoldTime: valid
			if got, err := backend.ClaimTick(context.Background(), ok); err != nil || got.Holder != "a" {
				t.Errorf("ClaimTick with a zero LiveUntil = %q, %v; want a", got, err)
			}
		})
	}
}

// 100 goroutines, each with its own client, race for each of 1000 ticks (a barrier per tick): exactly
// one wins each.
func TestClaimTick100GoroutinesExactlyOneWinnerPerTick(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			const goroutines, ticks = 100, 1000
			clients := make([]contract.Backend, goroutines)
			for i := range clients {
				clients[i] = s.open(t)
			}
			base := time.Now().Truncate(time.Second)
			winners := make([][]string, ticks)
			var mu sync.Mutex
			var errs []error
			var wg sync.WaitGroup
			ready := make(chan struct{})
			barriers := make([]chan struct{}, ticks)
			for i := range barriers {
				barriers[i] = make(chan struct{})
			}
			for g := range clients {
				wg.Add(1)
				go func(client contract.Backend, app string) {
					defer wg.Done()
					for i := 0; i < ticks; i++ {
						ready <- struct{}{}
						<-barriers[i]
						selected, err := claim(client, "race", app, base.Add(time.Duration(i+1)*time.Millisecond), time.Hour)
						mu.Lock()
						switch {
						case err != nil && !errors.Is(err, contract.ErrTickClosed):
							errs = append(errs, err)
						case err == nil && selected == app:
							winners[i] = append(winners[i], app)
						}
						mu.Unlock()
					}
				}(clients[g], fmt.Sprintf("app-%d", g))
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
		})
	}
}

// 3 processes race for the same 1000 ticks, paced by a shared wall-clock schedule so that they contend
// on each tick: exactly one process wins each tick.
func TestClaimTick3ProcessesExactlyOneWinnerPerTick(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			const processes, ticks = 3, 1000
			start := time.Now().Add(500 * time.Millisecond)
			var outputs [processes]strings.Builder
			commands := make([]*exec.Cmd, processes)
			for p := range commands {
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperClaimer$", "-test.count=1")
				cmd.Env = append(append(os.Environ(), s.env...),
					"HADE_TEST_CLAIMER=1",
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
		})
	}
}

// TestHelperClaimer is the body of one process of the 3-process test; it does nothing otherwise.
func TestHelperClaimer(t *testing.T) {
	if os.Getenv("HADE_TEST_CLAIMER") != "1" {
		t.Skip("helper process of TestClaimTick3ProcessesExactlyOneWinnerPerTick")
	}
	var backend contract.Backend
	var err error
	switch store := os.Getenv("HADE_TEST_STORE"); os.Getenv("HADE_TEST_BACKEND") {
	case "local":
		backend, err = local.New(local.Config{Folder: store})
	case "redis":
		backend, err = redis.New(context.Background(), redis.Config{URL: store, Prefix: "test:"})
	case "etcd":
		backend, err = etcd.New(context.Background(), etcd.Config{Endpoints: store, Prefix: "/test/"})
	}
	if err != nil || backend == nil {
		t.Fatalf("open backend %q: %v", os.Getenv("HADE_TEST_BACKEND"), err)
	}
	app := os.Getenv("HADE_TEST_APP")
	startNanos, err := strconv.ParseInt(os.Getenv("HADE_TEST_START"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ticks, err := strconv.Atoi(os.Getenv("HADE_TEST_TICKS"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(0, startNanos)
	base := start.Truncate(time.Second)
	for i := 0; i < ticks; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 2 * time.Millisecond)))
		selected, err := claim(backend, "race", app, base.Add(time.Duration(i+1)*time.Millisecond), time.Hour)
		switch {
		case err != nil && !errors.Is(err, contract.ErrTickClosed):
			fmt.Printf("error %d: %v\n", i, err)
		case err == nil && selected == app:
			fmt.Printf("won %d\n", i)
		}
	}
}

// claim claims tick for app on service with hold as the window, under one fixed definition.
func claim(backend contract.Backend, service, app string, tick time.Time, hold time.Duration) (string, error) {
	claimed, err := backend.ClaimTick(context.Background(), contract.Claim{
		Service: service, AppID: app, Tick: tick, HoldTime: hold, Definition: "test", LiveUntil: tick.Add(2 * hold),
	})
	return claimed.Holder, err
}

// step is one claim of a definition test case, made at the case's start + at.
type step struct {
	at       time.Duration // when the claim is made, after the start
	app, def string
	tick     time.Duration // the tick claimed, after the start
	hold     time.Duration
	next     time.Duration // from tick to the definition's next tick: LiveUntil = tick+next+hold
	want     string        // the app id returned, "closed", or "conflict with <holder's definition>"
}

func definitionCases() map[string][]step {
	const ms = time.Millisecond
	alternating := []step{{0, "A", "X", 0, time.Second, 200 * ms, "A"}}
	for i := 1; i <= 10; i++ { // both claim every 200ms tick, B first: B never wins while A is live
		tick := time.Duration(i) * 200 * ms
		alternating = append(alternating,
			step{tick, "B", "Y", tick, time.Second, 200 * ms, "conflict with X"},
			step{tick, "A", "X", tick, time.Second, 200 * ms, "A"})
	}
	return map[string][]step{
		"same definition, same tick: held by the winner": {
			{0, "A", "X", 0, time.Second, time.Second, "A"},
			{0, "B", "X", 0, time.Second, time.Second, "A"},
		},
		"another live definition is refused, at its tick and at later ones": {
			{0, "A", "X", 0, time.Second, 2 * time.Second, "A"},
			{0, "B", "Y", 0, time.Second, 2 * time.Second, "conflict with X"},
			{100 * ms, "B", "Y", 100 * ms, time.Second, time.Second, "conflict with X"},
			{200 * ms, "A", "X", 200 * ms, time.Second, 2 * time.Second, "A"},
		},
		"two live definitions never both win": alternating,
		"the other definition takes over once the holder is past LiveUntil": {
			{0, "A", "X", 0, time.Second, 2 * time.Second, "A"}, // live until 3s
			{time.Second, "B", "Y", time.Second, time.Second, 2 * time.Second, "conflict with X"},
			{3500 * ms, "B", "Y", 3500 * ms, time.Second, 2 * time.Second, "B"}, // live until 6.5s
			{3600 * ms, "A", "X", 3600 * ms, time.Second, 2 * time.Second, "conflict with Y"},
		},
		"claiming one's own tick again returns it, even after its window": {
			{0, "A", "X", 0, 300 * ms, time.Second, "A"},
			{0, "A", "X", 0, 300 * ms, time.Second, "A"},
			{500 * ms, "A", "X", 0, 300 * ms, time.Second, "A"},
			{500 * ms, "B", "X", 0, 300 * ms, time.Second, "A"},
			{500 * ms, "B", "X", -time.Second, 300 * ms, time.Second, "closed"},
		},
		// issue 7 item 2: A wins T with hold 1s; 2.3s later B claims T with hold 10s
		"hold 1s then 10s, one definition text": {
			{0, "A", "X", 0, time.Second, time.Second, "A"},
			{2300 * ms, "B", "X", 0, 10 * time.Second, time.Second, "A"},
		},
		"hold 1s then 10s, two definitions": {
			{0, "A", "hold 1s", 0, time.Second, time.Second, "A"}, // live until 2s
			{2300 * ms, "B", "hold 10s", 0, 10 * time.Second, time.Second, "A"},
		},
	}
}

// The definition rule of contract.Backend, with real clocks: each case's claims are made at their
// time after the case's start. The cases of both backends run at once (they mostly sleep).
func TestClaimTickDefinitions(t *testing.T) {
	var wg sync.WaitGroup
	for _, s := range stores(t) {
		backend := s.open(t)
		i := 0
		for name, steps := range definitionCases() {
			service := fmt.Sprintf("definitions-%d", i)
			i++
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := runSteps(backend, service, steps); err != nil {
					t.Errorf("%s, %s: %v", s.name, name, err)
				}
			}()
		}
	}
	wg.Wait()
}

// runSteps makes the claims of steps on service and returns the first that is not answered as wanted.
func runSteps(backend contract.Backend, service string, steps []step) error {
	start := time.Now()
	for n, st := range steps {
		time.Sleep(time.Until(start.Add(st.at)))
		tick := start.Add(st.tick)
		claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: service, AppID: st.app,
			Tick: tick, HoldTime: st.hold, Definition: st.def, LiveUntil: tick.Add(st.next + st.hold)})
		got := claimed.Holder
		if problem := checkStep(st, got, err); problem != "" {
			return fmt.Errorf("step %d %+v: got %q, %v: %s", n, st, got, err, problem)
		}
	}
	return nil
}

// checkStep says how got and err differ from what st wants, or "".
func checkStep(st step, got string, err error) string {
	holder, conflict := strings.CutPrefix(st.want, "conflict with ")
	switch {
	case conflict:
		if !errors.Is(err, contract.ErrDefinitionConflict) || got != "" {
			return "want ErrDefinitionConflict"
		}
		for _, part := range []string{fmt.Sprintf("%q", st.def), fmt.Sprintf("%q", holder), "live until", "same spec, zone"} {
			if !strings.Contains(err.Error(), part) {
				return "the conflict does not mention " + part
			}
		}
	case st.want == "closed":
		if !errors.Is(err, contract.ErrTickClosed) || got != "" {
			return "want ErrTickClosed"
		}
	case err != nil || got != st.want:
		return fmt.Sprintf("want %q", st.want)
	}
	return ""
}

// TestClaimTickPreviousNamesTheGap: the call that moves the fence learns the tick it held before, when that
// was won with the same definition; every other answer has no previous tick.
func TestClaimTickPreviousNamesTheGap(t *testing.T) {
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			a, b := s.open(t), s.open(t)
			now := time.Now().Truncate(time.Millisecond)
			hold := 10 * time.Second
			claimAt := func(backend contract.Backend, app, definition string, tick, liveUntil time.Time) contract.Claimed {
				t.Helper()
				claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: "gap", AppID: app, Tick: tick,
					HoldTime: hold, Definition: definition, LiveUntil: liveUntil})
				if err != nil {
					t.Fatalf("claim of %s by %s: %v", tick, app, err)
				}
				return claimed
			}
			t1, t3, t4, t5 := now.Add(-3*time.Second), now.Add(-time.Second), now, now.Add(time.Second)
			steps := []struct {
				name     string
				got      contract.Claimed
				holder   string
				previous time.Time
			}{
				{"first claim of the service", claimAt(a, "a", "def", t1, t1.Add(hold)), "a", time.Time{}},
				{"the same tick, another app", claimAt(b, "b", "def", t1, t1.Add(hold)), "a", time.Time{}},
				{"a later tick won", claimAt(b, "b", "def", t3, t3), "b", t1},
				{"the winner again (a re-send)", claimAt(b, "b", "def", t3, t3), "b", time.Time{}},
				{"another definition after live-until", claimAt(a, "a", "other", t4, t4.Add(hold)), "a", time.Time{}},
				{"the next tick of that definition", claimAt(b, "b", "other", t5, t5.Add(hold)), "b", t4},
			}
			for _, step := range steps {
				if step.got.Holder != step.holder || !step.got.Previous.Equal(step.previous) {
					t.Errorf("%s: %+v, want holder %s and previous %v", step.name, step.got, step.holder, step.previous)
				}
			}
		})
	}
}
