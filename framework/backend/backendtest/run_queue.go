package backendtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// queueRun calls QueueRun and fails the test on an error.
func queueRun(t *testing.T, backend contract.Backend, service, holder string, tick time.Time, max int) (contract.RunLease, []time.Time) {
	t.Helper()
	taken, waiting, err := backend.QueueRun(context.Background(), contract.RunLease{Service: service, Holder: holder,
		Tick: tick}, max, time.Minute)
	if err != nil {
		t.Fatalf("QueueRun(%s, %s, %s, max %d): %v", service, holder, tick.Format(time.RFC3339), max, err)
	}
	return taken, waiting
}

// testQueueRun: a tick queued on a free lease runs at once; ticks queued behind a held lease wait in
// tick order up to max, and are taken one at a time, oldest first, only once the lease is free; a tick not
// after the newest taken is not queued; a re-sent call answers as the first; services queue apart.
func testQueueRun(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	tick := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	at := func(n int) time.Time { return tick.Add(time.Duration(n) * time.Second) }
	if taken, waiting := queueRun(t, a, "buffered", "a", at(0), 1000); taken.Holder != "a" || !taken.Tick.Equal(at(0)) || len(waiting) != 0 {
		t.Fatalf("the first tick on a free lease = %+v, waiting %v; want taken by a for it, nothing waiting", taken, waiting)
	}
	if taken, _ := queueRun(t, a, "buffered", "a", at(0), 1000); taken.Holder != "a" || !taken.Tick.Equal(at(0)) {
		t.Fatalf("the first call re-sent = %+v; want the same answer", taken)
	}
	for _, n := range []int{3, 1, 2} { // out of order: the queue keeps tick order
		if taken, _ := queueRun(t, b, "buffered", "b", at(n), 1000); taken.Holder != "a" || !taken.Tick.Equal(at(0)) {
			t.Fatalf("tick %d behind a's run = %+v; want a's run of tick 0 as the holder", n, taken)
		}
	}
	_, waiting := queueRun(t, b, "buffered", "b", at(2), 1000) // a re-send queues nothing more
	if !slices.EqualFunc(waiting, []time.Time{at(1), at(2), at(3)}, time.Time.Equal) {
		t.Fatalf("waiting = %v; want ticks 1, 2, 3 once each, oldest first", waiting)
	}
	if _, waiting := queueRun(t, b, "buffered", "b", at(4), 3); len(waiting) != 3 {
		t.Fatalf("a tick past max 3 = %v waiting; want it not queued", waiting)
	}
	if taken, _ := queueRun(t, b, "buffered", "b", at(9), 0); taken.Holder != "a" {
		t.Fatalf("max 0 while a holds the lease = %+v; want a still the holder", taken)
	}
	release(t, a, contract.RunLease{Service: "buffered", Holder: "a", Tick: at(0)})
	for _, n := range []int{1, 2, 3} {
		taken, _ := queueRun(t, a, "buffered", "a", at(n-1), 0) // the holder's release, then a take
		if taken.Holder != "a" || !taken.Tick.Equal(at(n)) {
			t.Fatalf("take after the release of tick %d = %+v; want a holding tick %d", n-1, taken, n)
		}
		if again, _ := queueRun(t, b, "buffered", "b", at(n), 1000); again.Holder != "a" || !again.Tick.Equal(at(n)) {
			t.Fatalf("tick %d queued again while it runs = %+v; want not queued, a's run the holder", n, again)
		}
		release(t, a, taken)
	}
	// through a: a release may be queued (Redis); what a sends next is decided after it
	if taken, waiting := queueRun(t, a, "buffered", "a", at(2), 1000); taken.Holder != "" || len(waiting) != 0 {
		t.Fatalf("a tick not after the newest taken = %+v, waiting %v; want not queued, the lease free", taken, waiting)
	}
	if taken, _ := queueRun(t, b, "other", "b", at(1), 1000); taken.Holder != "b" || !taken.Tick.Equal(at(1)) {
		t.Fatalf("another service = %+v; want its own queue and lease", taken)
	}
	if _, _, err := b.QueueRun(ctx, contract.RunLease{Service: "buffered", Holder: "b", Tick: at(9)}, -1, time.Minute); err == nil {
		t.Error("QueueRun with max -1: no error")
	}
}

// release releases lease and fails the test on an error.
func release(t *testing.T, backend contract.Backend, lease contract.RunLease) {
	t.Helper()
	if err := backend.ReleaseRun(context.Background(), lease); err != nil {
		t.Fatalf("ReleaseRun(%+v): %v", lease, err)
	}
}

// testQueueRunTakesExpired: ticks queued behind a lease whose holder died are taken by another client
// once the lease expired, and a lease taken by AcquireRun holds the queue back too.
func testQueueRunTakesExpired(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	a, b := newClient(), newClient()
	ctx := context.Background()
	tick := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	dead := contract.RunLease{Service: "orphan", Holder: "dead", Tick: tick}
	if _, err := a.AcquireRun(ctx, dead, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if taken, waiting := queueRun(t, a, "orphan", "a", tick.Add(time.Second), 1); taken.Holder != "dead" || len(waiting) != 1 {
		t.Fatalf("a tick behind another run = %+v, waiting %v; want queued behind it", taken, waiting)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		taken, waiting := queueRun(t, b, "orphan", "b", tick, 0)
		if taken.Holder == "b" {
			if !taken.Tick.Equal(tick.Add(time.Second)) || len(waiting) != 0 {
				t.Fatalf("taken after the expiry = %+v, waiting %v; want the queued tick, none left", taken, waiting)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued tick was not taken 10 s after a lease of 2 s: holder %+v", taken)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testQueueRunConcurrent: 8 clients queueing 40 ticks at once and taking them as each run ends run each
// tick once, one at a time, in tick order.
func testQueueRunConcurrent(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	tick := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var mu sync.Mutex
	var ran []time.Time
	running := 0
	var wg sync.WaitGroup
	for c := range 8 {
		client, holder := newClient(), fmt.Sprint("app-", c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := c; n < 40; n += 8 {
				taken, _, err := client.QueueRun(context.Background(), contract.RunLease{Service: "raced", Holder: holder,
					Tick: tick.Add(time.Duration(n) * time.Second)}, 1000, time.Minute)
				for err == nil && taken.Holder == holder { // run what it took, then take the next
					mu.Lock()
					running++
					if running > 1 {
						t.Errorf("%d runs at once", running)
					}
					ran = append(ran, taken.Tick)
					running--
					mu.Unlock()
					if err = client.ReleaseRun(context.Background(), taken); err == nil {
						taken, _, err = client.QueueRun(context.Background(), taken, 0, time.Minute)
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if !slices.IsSortedFunc(ran, time.Time.Compare) || len(slices.CompactFunc(slices.Clone(ran), time.Time.Equal)) != len(ran) {
		t.Fatalf("ran %v; want each tick once, in tick order", ran)
	}
	if _, waiting := queueRun(t, newClient(), "raced", "x", tick, 0); len(waiting) != 0 {
		t.Fatalf("%d ticks still waiting after every client took what it could; want none", len(waiting))
	}
}
