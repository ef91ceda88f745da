package backendtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testCountRun: CountRun counts up to the limit and no further, seen from every client; counting the last
// tick again (a re-send) counts nothing and says counted; limit 0 reads; services count apart; invalid
// input, a cancelled context and a closed client fail.
func testCountRun(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	tick := time.Now().Truncate(time.Millisecond)
	run := func(backend contract.Backend, service string, n, limit int) (int, bool) {
		t.Helper()
		count, counted, err := backend.CountRun(ctx, contract.RunLease{Service: service, Holder: "a",
			Tick: tick.Add(time.Duration(n) * time.Second)}, limit)
		if err != nil {
			t.Fatalf("CountRun(%s, tick %d, limit %d): %v", service, n, limit, err)
		}
		return count, counted
	}
	if count, counted := run(a, "limited", 0, 0); count != 0 || counted {
		t.Fatalf("the count of a service never counted = %d, %t; want 0, false", count, counted)
	}
	for n, client := range []contract.Backend{a, b, a} {
		if count, counted := run(client, "limited", n, 3); count != n+1 || !counted {
			t.Fatalf("run %d of 3 = %d, %t; want %d, true", n+1, count, counted, n+1)
		}
	}
	if count, counted := run(b, "limited", 2, 3); count != 3 || !counted {
		t.Fatalf("the last tick counted again (a re-send) = %d, %t; want 3, true and nothing counted", count, counted)
	}
	for n := 3; n < 5; n++ {
		if count, counted := run(b, "limited", n, 3); count != 3 || counted {
			t.Fatalf("a run past the limit = %d, %t; want 3, false", count, counted)
		}
	}
	if count, counted := run(a, "limited", 9, 5); count != 4 || !counted {
		t.Fatalf("a higher limit = %d, %t; want 4, true (counts go on)", count, counted)
	}
	if count, _ := run(b, "limited", 0, 0); count != 4 {
		t.Fatalf("limit 0 reads %d; want 4", count)
	}
	if count, counted := run(b, "other", 0, 1); count != 1 || !counted {
		t.Fatalf("another service's first run = %d, %t; want 1, true", count, counted)
	}
	testCountRunBadInput(t, a, closedClient(t, open))
}

// testCountRunBadInput: invalid input, a cancelled context and a closed client fail.
func testCountRunBadInput(t *testing.T, backend, closed contract.Backend) {
	ctx := context.Background()
	now := time.Now()
	for _, bad := range []struct {
		run   contract.RunLease
		limit int
	}{{contract.RunLease{Service: "bad name!", Holder: "a", Tick: now}, 1}, {contract.RunLease{Service: "svc", Holder: "a"}, 1},
		{contract.RunLease{Service: "svc", Holder: "a", Tick: now}, -1}} {
		if count, _, err := backend.CountRun(ctx, bad.run, bad.limit); err == nil {
			t.Errorf("CountRun(%+v, %d) = %d; want an error", bad.run, bad.limit, count)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := backend.CountRun(canceled, contract.RunLease{Service: "svc", Holder: "a", Tick: now}, 1); err == nil {
		t.Error("CountRun with a cancelled context: no error")
	}
	if _, _, err := closed.CountRun(ctx, contract.RunLease{Service: "svc", Holder: "a", Tick: now}, 1); err == nil {
		t.Error("CountRun after Close: no error")
	}
}

// testCountRunConcurrent: 8 clients counting 40 ticks at once against a limit of 25 count exactly 25.
func testCountRunConcurrent(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	tick := time.Now().Truncate(time.Millisecond)
	var mu sync.Mutex
	counted := 0
	var wg sync.WaitGroup
	for c := range 8 {
		client := newClient()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := c; n < 40; n += 8 {
				_, ok, err := client.CountRun(context.Background(), contract.RunLease{Service: "raced",
					Holder: fmt.Sprint("app-", c), Tick: tick.Add(time.Duration(n) * time.Second)}, 25)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					counted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if counted != 25 {
		t.Fatalf("%d of 40 concurrent runs counted against a limit of 25; want exactly 25", counted)
	}
}
