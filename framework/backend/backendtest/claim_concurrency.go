package backendtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// race is what the claimers of testClaimConcurrent saw: the winners of each tick and the answers that
// break the contract.
type race struct {
	mu      sync.Mutex
	winners [][]string // by tick index
	errs    []error
}

// note records app's claim of tick i: its holder or error.
func (r *race) note(i int, app, holder string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil && !errors.Is(err, contract.ErrTickClosed):
		r.errs = append(r.errs, err)
	case err == nil && holder == app:
		r.winners[i] = append(r.winners[i], app)
	case err == nil && holder == "":
		r.errs = append(r.errs, fmt.Errorf("tick %d: %s was answered no holder and no error", i, app))
	}
}

// testClaimConcurrent: goroutines, each with its own client (a process), race for each of many ticks, a
// barrier per tick: exactly one wins each, and every other claim is answered with the winner or
// ErrTickClosed.
func testClaimConcurrent(t *testing.T, open Open) {
	const claimers, ticks = 32, 500
	newClient := connect(t, open, defaultRetention)
	base := time.Now().Truncate(time.Second)
	result := &race{winners: make([][]string, ticks)}
	ready := make(chan struct{})
	barriers := make([]chan struct{}, ticks)
	for i := range barriers {
		barriers[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for g := 0; g < claimers; g++ {
		client, app := newClient(), fmt.Sprintf("app-%d", g)
		wg.Go(func() {
			for i := 0; i < ticks; i++ {
				ready <- struct{}{}
				<-barriers[i]
				holder, err := claim(client, "race", app, base.Add(time.Duration(i+1)*time.Millisecond), time.Hour)
				result.note(i, app, holder, err)
			}
		})
	}
	for i := 0; i < ticks; i++ {
		for g := 0; g < claimers; g++ { // every goroutine is at tick i
			<-ready
		}
		close(barriers[i])
	}
	wg.Wait()
	if len(result.errs) > 0 {
		t.Fatalf("%d claims failed, first: %v", len(result.errs), result.errs[0])
	}
	for i, w := range result.winners {
		if len(w) != 1 {
			t.Fatalf("tick %d has %d winners %v, want exactly 1", i, len(w), w)
		}
	}
}
