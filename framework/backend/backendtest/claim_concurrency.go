package backendtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testClaimConcurrent: goroutines, each with its own client (a process), race for each of many ticks, a
// barrier per tick: exactly one wins each, and every other claim is answered with the winner or
// ErrTickClosed.
func testClaimConcurrent(t *testing.T, open Open) {
	const claimers, ticks = 32, 500
	newClient := connect(t, open, defaultRetention)
	clients := make([]contract.Backend, claimers)
	for i := range clients {
		clients[i] = newClient()
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
	for g, client := range clients {
		app := fmt.Sprintf("app-%d", g)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ticks; i++ {
				ready <- struct{}{}
				<-barriers[i]
				holder, err := claim(client, "race", app, base.Add(time.Duration(i+1)*time.Millisecond), time.Hour)
				mu.Lock()
				switch {
				case err != nil && !errors.Is(err, contract.ErrTickClosed):
					errs = append(errs, err)
				case err == nil && holder == app:
					winners[i] = append(winners[i], app)
				case err == nil && holder == "":
					errs = append(errs, fmt.Errorf("tick %d: %s was answered no holder and no error", i, app))
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < ticks; i++ {
		for range clients { // every goroutine is at tick i
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
}
