package verify

import (
	"math"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// op builds a claim of tick 100s (hold 1s) by app over [call, ret] (seconds on both clocks).
func op(app string, call, ret float64, result, selected string) porcupine.Operation {
	const tick = int64(100 * time.Second)
	sec := func(s float64) int64 { return int64(s * float64(time.Second)) }
	in := claimInput{app: app, tick: tick, hold: int64(time.Second), callWall: sec(call), retWall: sec(ret)}
	o := porcupine.Operation{Input: in, Call: sec(call), Return: sec(ret), Metadata: &claim{invoke: Record{Service: "svc", Proc: app}},
		Output: claimOutput{result: result, selected: selected}}
	if result == resultError {
		in.maybe, in.retWall = true, math.MaxInt64 // as claim.operation does
		o.Input, o.Return, o.Output = in, math.MaxInt64, nil
	}
	return o
}

func TestFenceModel(t *testing.T) {
	model := fenceModel.ToModel()
	cases := []struct {
		name    string
		history []porcupine.Operation
		want    bool
	}{
		{"one winner, one held", []porcupine.Operation{op("a", 100, 100.01, resultWon, "a"), op("b", 100.02, 100.03, resultHeld, "a")}, true},
		{"two winners", []porcupine.Operation{op("a", 100, 100.01, resultWon, "a"), op("b", 100.02, 100.03, resultWon, "b")}, false},
		{"concurrent winners", []porcupine.Operation{op("a", 100, 100.05, resultWon, "a"), op("b", 100.01, 100.04, resultWon, "b")}, false},
		{"held by an app that never won", []porcupine.Operation{op("b", 100, 100.01, resultHeld, "a")}, false},
		{"held by a maybe-applied claim", []porcupine.Operation{op("a", 100, 0, resultError, ""), op("b", 100.2, 100.3, resultHeld, "a")}, true},
		// a claim that timed out while Redis was paused, applied when it resumed (found by a 2-minute run)
		{"held by a timed-out claim", []porcupine.Operation{op("a", 100, 0, resultError, ""), op("b", 100.01, 100.6, resultHeld, "a"),
			op("c", 100.01, 100.6, resultHeld, "a")}, true},
		{"won outside the window", []porcupine.Operation{op("a", 101.5, 101.6, resultWon, "a")}, false},
		{"closed inside the window with no fence", []porcupine.Operation{op("a", 100, 100.01, resultClosed, "")}, false},
		{"closed after the window", []porcupine.Operation{op("a", 101.2, 101.3, resultClosed, "")}, true},
		{"re-sent claim learns it won", []porcupine.Operation{op("a", 100, 100.01, resultWon, "a"), op("a", 100.1, 100.2, resultWon, "a")}, true},
		{"a conflict with one definition", []porcupine.Operation{op("a", 100, 100.01, resultConflict, "")}, false},
	}
	for _, c := range cases {
		if got := porcupine.CheckOperations(model, c.history); got != c.want {
			t.Errorf("%s: linearizable %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlanFaultsIsReproducibleAndCoversEveryKind(t *testing.T) {
	kinds := []string{faultNodeKill, faultNodePause, faultRollRestart, faultRedisKill, faultRedisWipe, faultRedisPause}
	first, err := planFaults(7, kinds, 3, time.Second, 45*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := planFaults(7, kinds, 3, time.Second, 45*time.Second)
	seen := map[string]bool{}
	for i, p := range first {
		seen[p.kind] = true
		if again[i] != p {
			t.Fatalf("fault %d differs between two plans of one seed: %+v, %+v", i, p, again[i])
		}
	}
	if len(seen) != len(kinds) {
		t.Errorf("plan %+v misses kinds", first)
	}
	if _, err := planFaults(7, kinds, 3, time.Second, 15*time.Second); err == nil {
		t.Error("a plan that cannot hold every kind was accepted")
	}
}
