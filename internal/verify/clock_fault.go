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
