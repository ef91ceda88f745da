package verify

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"
)

// faultClockOffset restarts a node (SIGTERM, start again) with its framework clock off by a random offset
// within ±hold; the offset stays with the node index, restarts included, until its next clock fault.
// Only binaries built with -tags hadeclock can (clockBuild), and not on the local backend: its nodes
// share one host's clock by definition.
const faultClockOffset = "clock-offset"

// envClockOffset is framework/internal/clock.EnvOffset, read by -tags hadeclock builds of the node.
const envClockOffset = "HADE_TEST_CLOCK_OFFSET"

// faultKinds returns the kinds of fault the nemesis mixes on backend b.
func faultKinds(b backend) []string {
	kinds := []string{faultNodeKill, faultNodePause, faultRollRestart}
	if clockBuild && !b.sharedBase() {
		kinds = append(kinds, faultClockOffset)
	}
	kinds = append(kinds, netFaultKinds(b)...)
	return append(kinds, b.faultKinds()...)
}

// offsetClock restarts node index with a new clock offset drawn from rng within ±hold, in whole ms.
func (m nemesis) offsetClock(index int, rng *rand.Rand, f *Record) error {
	hold := m.run.opts.Hold
	offset := between(rng, -hold, hold)
	n := m.run.nodes[index]
	f.Service = n.proc
	f.Error = fmt.Sprintf("clock off by %s (was %s): SIGTERM, started again", offset, m.run.offsets[index])
	if err := n.signalAndWait(syscall.SIGTERM, endTerminated, 15*time.Second); err != nil {
		return err
	}
	m.run.offsets[index] = offset
	return m.run.restartNode(index)
}

// clockExcuse returns why tick key may not have run because node clocks differ, or "": a node whose clock
// is ahead won a later tick of the service with a claim sent before the last claim of key was answered
// (before or concurrently with them: the backend may order it first), so the claims of key found the fence
// past it (closed). Offsets within ±hold can differ by up to 2 × hold, more than an interval.
func clockExcuse(h *history, key tickKey, claims []*claim) string {
	if len(claims) == 0 {
		return ""
	}
	lastAnswer := int64(0)
	for _, c := range claims {
		if c.ret == nil {
			return "" // a claim never answered: other excuses apply, or none
		}
		lastAnswer = max(lastAnswer, c.ret.Mono)
	}
	for _, c := range h.claims {
		if c.invoke.Service == key.service && c.invoke.Tick > key.tick && c.invoke.Offset > 0 &&
			c.ret != nil && c.ret.Result == resultWon && c.invoke.Mono <= lastAnswer {
			return faultClockOffset + ": a node whose clock is ahead won a later tick first"
		}
	}
	return ""
}
