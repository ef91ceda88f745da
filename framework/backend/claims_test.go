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
