package backendtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// step is one claim of a definition case, made at the case's start + at.
type step struct {
	at       time.Duration // when the claim is made, after the start
	app, def string
	tick     time.Duration // the tick claimed, after the start
	hold     time.Duration
	next     time.Duration // from tick to the definition's next tick: LiveUntil = tick+next+hold
	want     string        // the app id returned, "closed", or "conflict with <holder's definition>"
}

// definitionCases are the cases of the definition rule, by name. Every step that must win is made within
// a second of its tick, and every conflict at least a second before the holder's LiveUntil.
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
		// A wins T with hold 1s; 2.3s later B claims T with hold 10s: the tick is A's, whatever B's window
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

// testClaimDefinitions: the definition rule of contract.Claims, with real clocks: each case's claims are
// made at their time after the case's start, on a service of its own. The cases run at once (they mostly
// sleep), through one client each of one store.
func testClaimDefinitions(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	var wg sync.WaitGroup
	i := 0
	for name, steps := range definitionCases() {
		backend, service := newClient(), fmt.Sprintf("definitions-%d", i)
		i++
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runSteps(backend, service, steps); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	wg.Wait()
}

// runSteps makes the claims of steps on service and returns the first that is not answered as wanted.
func runSteps(backend contract.Claims, service string, steps []step) error {
	start := time.Now()
	for n, st := range steps {
		time.Sleep(time.Until(start.Add(st.at)))
		tick := start.Add(st.tick)
		claimed, err := backend.ClaimTick(context.Background(), contract.Claim{Service: service, AppID: st.app,
			Tick: tick, HoldTime: st.hold, Definition: st.def, LiveUntil: tick.Add(st.next + st.hold)})
		if problem := checkStep(st, claimed.Holder, err); problem != "" {
			return fmt.Errorf("step %d %+v: got %q, %v: %s", n, st, claimed.Holder, err, problem)
		}
	}
	return nil
}

// checkStep says how got and err differ from what st wants, or "". A conflict must name both definitions
// and say how to fix it.
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
