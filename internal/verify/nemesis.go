package verify

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Node fault kinds; the backends add their own (backend.faultKinds).
const (
	faultNodeKill    = "node-kill"       // kill -9 of a node, started again after 0.5–2s
	faultNodePause   = "node-pause"      // SIGSTOP of a node for 0.5–3 × hold, then SIGCONT
	faultRollRestart = "rolling-restart" // every node in turn: SIGTERM, wait for the exit, start again
)

// chosenKinds returns the kinds of list (--faults, comma-separated) or, when it is empty, every kind of all;
// it fails on a kind not in all or named twice.
func chosenKinds(all []string, list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	var kinds []string
	for _, kind := range strings.Split(list, ",") {
		kind = strings.TrimSpace(kind)
		switch {
		case !slices.Contains(all, kind):
			return nil, fmt.Errorf("--faults: kind %q is not one of this run's: %q", kind, all)
		case slices.Contains(kinds, kind):
			return nil, fmt.Errorf("--faults: kind %q is named twice", kind)
		}
		kinds = append(kinds, kind)
	}
	return kinds, nil
}

// plannedFault is one fault of the nemesis's plan: its kind, its target node, when it starts (from the
// window's start) and the seed of its own random choices (durations).
type plannedFault struct {
	kind   string
	target int
	at     time.Duration
	seed   uint64
}

// planFaults draws the plan from seed: the kinds in a random order, then again, each after a gap of
// 1–3s, until the next one could not end 2s before the window does. It fails when one fault of each kind
// does not fit in duration.
func planFaults(seed uint64, kinds []string, nodes int, hold, duration time.Duration) ([]plannedFault, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	order := append([]string(nil), kinds...)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var plan []plannedFault
	at := time.Duration(0)
	for i := 0; ; i++ {
		kind := order[i%len(order)]
		at += between(rng, time.Second, 3*time.Second)
		if at+longest(kind, nodes, hold) > duration-2*time.Second {
			if i < len(order) {
				return nil, fmt.Errorf("--duration %s is too short for one fault of each kind %q: use at least %s",
					duration, order, (at + longest(kind, nodes, hold) + 2*time.Second + time.Duration(len(order)-i)*6*time.Second).Round(time.Second))
			}
			return plan, nil
		}
		plan = append(plan, plannedFault{kind: kind, target: rng.IntN(nodes), at: at, seed: rng.Uint64()})
		at += longest(kind, nodes, hold)
	}
}

// longest bounds how long a fault of kind takes, restarts included.
func longest(kind string, nodes int, hold time.Duration) time.Duration {
	switch kind {
	case faultNodeKill:
		return 3 * time.Second
	case faultRollRestart:
		return time.Duration(nodes) * 2500 * time.Millisecond
	case faultClockOffset:
		return 2500 * time.Millisecond
	case faultRedisWipe:
		return 3*hold + time.Second
	case faultRedisKill:
		return 2*hold + time.Second
	case faultEtcdMemberKill, faultEtcdLeaderKill:
		return 2*hold + 2*time.Second // the member restarts (about 1s) and catches up
	case faultPostgresKill:
		return 2*hold + 2*time.Second // crash recovery, then the server accepts connections
	case faultPostgresRestart:
		return 3 * time.Second // a checkpoint at the shutdown, then the start
	case faultPostgresFailover:
		return 2*hold + 5*time.Second // the promotion, a base backup for the new standby and its start (measured: at most 3.1 s with hold 1 s)
	}
	return 3*hold + 500*time.Millisecond
}

// nemesis performs the plan against the run's nodes and backend.
type nemesis struct {
	run *run
}

// perform does fault p now and returns its record (kind, target, start and end).
func (m nemesis) perform(p plannedFault) (Record, error) {
	rng := rand.New(rand.NewPCG(p.seed, p.seed>>1))
	f := Record{Kind: kindFault, Proc: p.kind}
	f.Mono, f.Wall = stamp()
	var err error
	switch p.kind {
	case faultNodeKill:
		err = m.killNode(p.target, rng, &f)
	case faultNodePause:
		err = m.pauseNode(p.target, rng, &f)
	case faultClockOffset:
		err = m.offsetClock(p.target, rng, &f)
	case faultRollRestart:
		f.Service = "all nodes"
		err = m.rollingRestart(rng)
	case faultNetCut, faultNetDelay, faultNetCutMember:
		err = m.netFault(p.kind, p.target, rng, &f)
	default:
		err = m.run.backend.inject(p.kind, rng, m.run.opts.Hold, &f)
	}
	f.EndMono, f.EndWall = stamp()
	return f, err
}

func (m nemesis) killNode(index int, rng *rand.Rand, f *Record) error {
	down := between(rng, 500*time.Millisecond, 2*time.Second)
	f.Service = m.run.nodes[index].proc
	f.Error = fmt.Sprintf("SIGKILL, started again after %s", down)
	if err := m.run.nodes[index].signalAndWait(syscall.SIGKILL, endKilled, 5*time.Second); err != nil {
		return err
	}
	time.Sleep(down)
	return m.run.restartNode(index)
}

func (m nemesis) pauseNode(index int, rng *rand.Rand, f *Record) error {
	pause := between(rng, m.run.opts.Hold/2, 3*m.run.opts.Hold)
	n := m.run.nodes[index]
	f.Service = n.proc
	f.Error = fmt.Sprintf("SIGSTOP for %s", pause)
	if err := n.pause(); err != nil {
		return err
	}
	time.Sleep(pause)
	return n.resume()
}

// rollingRestart restarts every node in turn: SIGTERM, wait for the exit, start, wait until it is up,
// then 0.3–1s before the next.
func (m nemesis) rollingRestart(rng *rand.Rand) error {
	for index := range m.run.nodes {
		if index > 0 {
			time.Sleep(between(rng, 300*time.Millisecond, time.Second))
		}
		if err := m.run.nodes[index].signalAndWait(syscall.SIGTERM, endTerminated, 15*time.Second); err != nil {
			return err
		}
		if err := m.run.restartNode(index); err != nil {
			return err
		}
	}
	return nil
}
