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

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/etcd"
	"github.com/hadeframe/hade/framework/backend/local"
	"github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
	"github.com/hadeframe/hade/internal/redistest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// defaultRetention is the zero retention, which a backend takes as backend.Retention.WithDefaults's.
var defaultRetention backend.Retention

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
				local, err := local.New(folder, defaultRetention)
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
				backend, err := etcd.New(context.Background(), etcd.Config{Client: clientv3.Config{Endpoints: strings.Split(cluster.Endpoints(), ",")}})
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
		backend, err = local.New(store, defaultRetention)
	case "redis":
		backend, err = redis.New(context.Background(), redis.Config{URL: store, Prefix: "test:"})
	case "etcd":
		backend, err = etcd.New(context.Background(), etcd.Config{Client: clientv3.Config{Endpoints: strings.Split(store, ",")}, Prefix: "/test/"})
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
