package verify

import (
	"fmt"
	"math"
	"time"

	"github.com/anishathalye/porcupine"
)

// clockSlack is how far the backend's reading of the clock may fall outside a claim's [invoke, return]
// interval of wall times (the same host clock, read by different calls).
const clockSlack = 2 * time.Millisecond

// claimInput is a claim as the model sees it: who claims which tick, and the wall-clock interval in
// which the backend read its clock. A claim that never returned or returned an error may have been
// applied or not ("maybe applied").
type claimInput struct {
	app               string
	tick, hold        int64
	callWall, retWall int64
	maybe             bool
}

// claimOutput is its answer: a result and the app id the backend named.
type claimOutput struct {
	result   string
	selected string
}

// fenceState is the model's fence: the latest tick won and its winner (zero: none).
type fenceState struct {
	tick   int64
	winner string
}

// fenceModel is contract.Distributed's rule for one definition: a claim wins when its tick is later
// than the fence's and the backend's clock may have been within the tick's window; a re-sent claim of the
// fence's tick by its winner learns it won; another app's claim of the fence's tick learns the winner; an
// older tick, or a clock outside the window, is closed; a conflict is never right (one definition).
var fenceModel = porcupine.NondeterministicModel{
	Partition: partitionByService,
	Init:      func() []interface{} { return []interface{}{fenceState{}} },
	Step: func(state, input, output interface{}) []interface{} {
		s, in := state.(fenceState), input.(claimInput)
		if in.maybe {
			next := []interface{}{s}
			if s.tick < in.tick && windowMayBeOpen(in) {
				next = append(next, fenceState{tick: in.tick, winner: in.app})
			}
			return next
		}
		out := output.(claimOutput)
		switch out.result {
		case resultWon:
			if s.tick == in.tick && s.winner == in.app {
				return []interface{}{s}
			}
			if s.tick < in.tick && windowMayBeOpen(in) {
				return []interface{}{fenceState{tick: in.tick, winner: in.app}}
			}
		case resultHeld:
			if s.tick == in.tick && s.winner == out.selected && out.selected != in.app {
				return []interface{}{s}
			}
		case resultClosed:
			if s.tick > in.tick || (s.tick < in.tick && windowMayBeClosed(in)) {
				return []interface{}{s}
			}
		}
		return nil
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(claimInput)
		if in.maybe {
			return fmt.Sprintf("claim(%s, %s) -> maybe", short(in.app), tickText(in.tick))
		}
		out := output.(claimOutput)
		return fmt.Sprintf("claim(%s, %s) -> %s %s", short(in.app), tickText(in.tick), out.result, short(out.selected))
	},
	DescribeOperationMetadata: func(info interface{}) string {
		c := info.(*claim)
		return c.invoke.Proc + " " + c.invoke.ref
	},
	DescribeState: func(state interface{}) string {
		s := state.(fenceState)
		if s.tick == 0 {
			return "no fence"
		}
		return fmt.Sprintf("fence %s won by %s", tickText(s.tick), short(s.winner))
	},
}

// windowMayBeOpen reports whether the backend's clock, read within [callWall, retWall], may have been
// within [tick-hold, tick+hold].
func windowMayBeOpen(in claimInput) bool {
	slack := clockSlack.Nanoseconds()
	return in.callWall-slack <= in.tick+in.hold && in.retWall >= in.tick-in.hold-slack // retWall may be MaxInt64
}

// windowMayBeClosed reports whether it may have been outside.
func windowMayBeClosed(in claimInput) bool {
	slack := clockSlack.Nanoseconds()
	return in.callWall-slack < in.tick-in.hold || in.retWall > in.tick+in.hold-slack
}

// partitionByService splits the history by service, carried by each operation's Metadata (its claim).
func partitionByService(history []porcupine.Operation) [][]porcupine.Operation {
	index := map[string]int{}
	var parts [][]porcupine.Operation
	for _, op := range history {
		service := op.Metadata.(*claim).invoke.Service
		i, ok := index[service]
		if !ok {
			i = len(parts)
			index[service] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}

// operation turns a claim into a porcupine operation on the monotonic clock; a claim that never
// returned or returned an error is maybe applied and returns at the end of time. With claimerClock (the
// backend checks the window by the claiming node's clock) the wall times are shifted by the node's offset.
func (c *claim) operation(client int, claimerClock bool) porcupine.Operation {
	shift := int64(0)
	if claimerClock {
		shift = c.invoke.Offset
	}
	in := claimInput{app: c.invoke.App, tick: c.invoke.Tick, hold: c.invoke.Hold, callWall: c.invoke.Wall + shift,
		retWall: math.MaxInt64, maybe: true}
	ret := int64(math.MaxInt64)
	var out interface{}
	if c.ret != nil && c.ret.Result != resultError {
		in.retWall, in.maybe, ret = c.ret.Wall+shift, false, c.ret.Mono
		out = claimOutput{result: c.ret.Result, selected: c.ret.Selected}
	}
	return porcupine.Operation{ClientId: client, Input: in, Call: c.invoke.Mono, Output: out, Return: ret,
		Metadata: c}
}

func short(app string) string { return app[:min(8, len(app))] }

func tickText(tick int64) string { return time.Unix(0, tick).UTC().Format("15:04:05") }
