package verify

import (
	"fmt"
	"strings"
	"time"
)

// Liveness counts the ticks of the checked window: those that ran, those excused by a fault (by cause)
// and those missed without an excuse (each one a violation).
type Liveness struct {
	Ticks   int            `json:"ticks"`
	Ran     int            `json:"ran"`
	Excused map[string]int `json:"excused"`
	Missed  int            `json:"missed"`
}

// reconnect is how long after a backend fault ended the nodes may still fail to reach it: go-redis
// dials a failed server again once a second.
const reconnect = 2 * time.Second

// lockWait is how long a local claim waits for the service's lock (2 s, the local backend's).
const lockWait = 2 * time.Second

// liveness checks that every tick of [start, end) of every service ran, unless a cause excuses it; not of
// the buffered and replacing services, whose policies skip ticks by design (a full queue, a run not ended
// by the next tick).
// With claimerClock, a claim's lateness is judged by its node's clock (offset), as the backend judges it.
func liveness(h *history, o Options, start, end time.Time, claimerClock bool) (Liveness, []Violation) {
	l := Liveness{Excused: map[string]int{}}
	var found []Violation
	var names []string
	for i := 0; i < o.Services; i++ {
		names = append(names, serviceName(i))
	}
	for i := 0; i < o.Slow; i++ {
		if name := slowServiceName(i); name != bufferedService && name != replacingService {
			names = append(names, name)
		}
	}
	for tick := start; tick.Before(end); tick = tick.Add(time.Second) {
		for _, service := range names {
			l.Ticks++
			key := tickKey{service, tick.UnixNano()}
			if len(h.runsByTick[key]) > 0 {
				l.Ran++
				continue
			}
			if cause := excuse(h, o, key, claimerClock); cause != "" {
				l.Excused[cause]++
				continue
			}
			l.Missed++
			found = append(found, missed(h, key))
		}
	}
	return l, found
}

// excuse returns why tick key may not have run, or "" when nothing excuses it: its winner, or a claimer
// cut mid-claim, was killed; a
// backend fault around it; no node up and unpaused; for the local backend a node paused (maybe holding
// the service's lock); for a slow service every available node still running the previous tick, or the
// winner skipping it because the previous run held the run lease (the default OverlapForbid); every
// claim late (sent after the window closed: the host was too slow); a later tick won first by a node whose
// clock is ahead.
func excuse(h *history, o Options, key tickKey, claimerClock bool) string {
	hold := o.Hold.Nanoseconds()
	tick := h.mono(key.tick)
	claims := h.claimsByTick[key]
	for _, c := range claims {
		n, ok := h.node(c.invoke.Proc)
		switch {
		case !ok || n.Result != endKilled:
		case c.ret == nil:
			return "claimer killed mid-claim (it may have won)"
		case c.ret.Result == resultWon:
			return "winner killed before its run"
		}
	}
	if cause := netExcuse(h, claims); cause != "" {
		return cause
	}
	if cause := pauseExcuse(h, claims); cause != "" {
		return cause
	}
	for _, f := range h.faultsDuring(tick-hold-reconnect.Nanoseconds(), tick+hold) {
		if backendFault(f.Proc) {
			return "backend fault: " + f.Proc
		}
	}
	available := availableNodes(h, tick, hold)
	if len(available) == 0 {
		return "no node up and unpaused"
	}
	if o.Backend == backendLocal {
		for _, f := range h.faultsDuring(tick-hold-lockWait.Nanoseconds(), tick+hold) {
			if f.Proc == faultNodePause {
				return "local lock held by a paused node"
			}
		}
	}
	if busy(h, key, available, tick) {
		return "every available node busy with the previous run"
	}
	for _, c := range claims {
		if c.ret != nil && c.ret.Result == resultWon && c.ret.Busy != "" {
			return "won while the previous run held the run lease (overlap forbidden)"
		}
	}
	if cause := clockExcuse(h, key, claims); cause != "" {
		return cause
	}
	late := 0
	for _, c := range claims {
		shift := int64(0)
		if claimerClock {
			shift = c.invoke.Offset
		}
		if c.invoke.Wall+shift > key.tick+hold {
			late++
		}
	}
	if len(claims) > 0 && late == len(claims) {
		return "every claim sent after the window closed"
	}
	return ""
}

// pauseExcuse returns why tick claims may not have run because a claimer was paused mid-claim, or "": a
// node's last claim of the tick failed or never returned while a node-pause (SIGSTOP) of that node lasted,
// so it may have been applied without its node learning it in time. The node settles a failed claim by
// re-sending it until 100 ms before the next tick; a pause that outlasts that leaves the tick won by a
// process that cannot run it, and the others, told it is held, rightly do not.
func pauseExcuse(h *history, claims []*claim) string {
	return unsettledExcuse(h, claims, 0, func(f Record) bool { return f.Proc == faultNodePause },
		": claimer paused mid-claim (it may have won)")
}

// backendFault reports whether fault kind strikes the backend (a Redis server, an etcd member, the
// PostgreSQL server) rather than
// a node or a node's clock or links.
func backendFault(kind string) bool {
	return strings.HasPrefix(kind, "redis-") || strings.HasPrefix(kind, "etcd-") || strings.HasPrefix(kind, "postgres-")
}

// availableNodes returns the processes up (ready before the tick, not ended before its window closed)
// and not paused within [tick-hold, tick+hold].
func availableNodes(h *history, tick, hold int64) []string {
	var up []string
	for _, n := range h.nodes {
		if n.ReadyMono == 0 || n.ReadyMono > tick-100*int64(time.Millisecond) || (n.EndMono != 0 && n.EndMono < tick+hold) {
			continue
		}
		paused := false
		for _, f := range h.faultsDuring(tick-hold, tick+hold) {
			paused = paused || (f.Proc == faultNodePause && f.Service == n.Proc)
		}
		if !paused {
			up = append(up, n.Proc)
		}
	}
	return up
}

// busy reports whether each available process was running the service's previous tick at the tick.
func busy(h *history, key tickKey, available []string, tick int64) bool {
	for _, proc := range available {
		running := false
		for _, r := range h.runsByTick[tickKey{key.service, key.tick - int64(time.Second)}] {
			running = running || (r.start.Proc == proc && (r.end == nil || r.end.Mono > tick))
		}
		for _, r := range h.runsByTick[tickKey{key.service, key.tick - 2*int64(time.Second)}] {
			running = running || (r.start.Proc == proc && (r.end == nil || r.end.Mono > tick))
		}
		if !running {
			return false
		}
	}
	return true
}

// missed describes an unexcused missed tick with its claims.
func missed(h *history, key tickKey) Violation {
	v := Violation{Property: propLiveness, Service: key.service, Tick: tickISO(key.tick)}
	var results []string
	for _, c := range h.claimsByTick[key] {
		result := "no return"
		v.Records = append(v.Records, c.invoke.ref)
		if c.ret != nil {
			result = c.ret.Result
			v.Records = append(v.Records, c.ret.ref)
		}
		v.Processes = append(v.Processes, c.invoke.Proc)
		results = append(results, c.invoke.Proc+": "+result)
	}
	v.Detail = fmt.Sprintf("no run, and no fault excuses it; claims: %s", strings.Join(results, ", "))
	if len(results) == 0 {
		v.Detail = "no run and no claim, and no fault excuses it"
	}
	return v
}
