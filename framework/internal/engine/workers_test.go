package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Ticks handed to the workers are all handled; one after the other they reuse one worker, and once stop
// is called no worker is left.
func TestWorkersHandleEveryTickAndEndAfterStop(t *testing.T) {
	before := runtime.NumGoroutine()
	w := newWorkers(func(task func()) { task() })
	var handled atomic.Int32
	var wg sync.WaitGroup
	handleOne := func() {
		wg.Add(1)
		done := make(chan struct{})
		w.handle(func() {
			handled.Add(1)
			wg.Done()
			close(done)
		})
		<-done
	}
	for i := 0; i < 50; i++ {
		handleOne()
		// one worker, reused: a second one would live workerIdle (10s)
		waitFor(t, 2*time.Second, func() bool { return runtime.NumGoroutine() <= before+1 }, "one worker waiting")
	}
	wg.Wait()
	if handled.Load() != 50 {
		t.Fatalf("%d ticks handled; want 50", handled.Load())
	}
	w.stop()
	waitFor(t, 2*time.Second, func() bool { return runtime.NumGoroutine() <= before }, "the workers to end after stop")
}

// waitFor polls done for up to timeout, failing t with what it waited for.
func waitFor(t *testing.T, timeout time.Duration, done func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !done(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
	}
}
