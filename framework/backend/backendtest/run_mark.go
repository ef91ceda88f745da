package backendtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testMarkRun: the first holder to mark a tick keeps it, seen from every client; its re-send is true
// again; ticks a microsecond apart and services mark apart; 8 clients marking one tick at once mark it
// once; invalid input, a cancelled context and a closed client fail.
func testMarkRun(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	tick := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	mark := func(backend contract.Backend, service, holder string, tick time.Time) bool {
		t.Helper()
		marked, err := backend.MarkRun(ctx, contract.RunLease{Service: service, Holder: holder, Tick: tick})
		if err != nil {
			t.Fatalf("MarkRun(%s, %s, %s): %v", service, holder, tick.Format(time.RFC3339Nano), err)
		}
		return marked
	}
	if !mark(a, "backfilled", "a", tick) {
		t.Fatal("the first mark of a tick = false; want true")
	}
	if !mark(b, "backfilled", "a", tick.In(time.FixedZone("X", 3600))) {
		t.Fatal("a re-sent mark (same holder, the tick in another zone) = false; want true")
	}
	if mark(b, "backfilled", "b", tick) {
		t.Fatal("another holder's mark of a marked tick = true; want false")
	}
	if !mark(b, "backfilled", "b", tick.Add(time.Microsecond)) || !mark(b, "other", "b", tick) {
		t.Fatal("a tick a microsecond later, or another service, = false; want true (marked apart)")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	marked := 0
	for c := range 8 {
		client := newClient()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := client.MarkRun(ctx, contract.RunLease{Service: "raced", Holder: fmt.Sprint("app-", c), Tick: tick})
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				marked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if marked != 1 {
		t.Fatalf("%d of 8 clients marking one tick at once marked it; want exactly 1", marked)
	}
	testMarkRunBadInput(t, a, closedClient(t, open))
}

// testMarkRunBadInput: invalid input, a cancelled context and a closed client fail.
func testMarkRunBadInput(t *testing.T, backend, closed contract.Backend) {
	ctx := context.Background()
	now := time.Now()
	for _, bad := range []contract.RunLease{{Service: "bad name!", Holder: "a", Tick: now}, {Service: "svc", Holder: "a"},
		{Service: "svc", Tick: now}} {
		if _, err := backend.MarkRun(ctx, bad); err == nil {
			t.Errorf("MarkRun(%+v): no error", bad)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := backend.MarkRun(canceled, contract.RunLease{Service: "svc", Holder: "a", Tick: now}); err == nil {
		t.Error("MarkRun with a cancelled context: no error")
	}
	if _, err := closed.MarkRun(ctx, contract.RunLease{Service: "svc", Holder: "a", Tick: now}); err == nil {
		t.Error("MarkRun after Close: no error")
	}
}
