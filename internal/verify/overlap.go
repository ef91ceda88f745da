package verify

import (
	"fmt"
	"sort"
	"time"
)

// noOverlap: the runs of a service never overlap (the services run under OverlapForbid, the default): a run
// starts after the previous run of the service ended. Not checked after a run that has no end (its node
// was killed) or whose node was paused while it ran: a stalled holder's run ends, by its own clock, when
// its lease can no longer be renewed, which its records cannot show (it writes its end once resumed). On
// etcd the lease's expiry is read with the claiming node's clock, so a run that follows a clock-offset
// fault is not checked either (the documented assumption: hosts' clocks agree within 0.75 s).
func noOverlap(h *history, backend string) []Violation {
	byService := map[string][]*runRecord{}
	for _, r := range h.runs {
		byService[r.start.Service] = append(byService[r.start.Service], r)
	}
	var found []Violation
	for service, runs := range byService {
		sort.Slice(runs, func(i, j int) bool { return runs[i].start.Mono < runs[j].start.Mono })
		for i := 1; i < len(runs); i++ {
			prev, next := runs[i-1], runs[i]
			if prev.end == nil || prev.end.Mono <= next.start.Mono || stalledDuring(h, prev.start.Proc, prev.start.Mono, prev.end.Mono) ||
				(backend == backendEtcd && clockFaultBefore(h, next.start.Mono)) {
				continue
			}
			found = append(found, Violation{Property: propNoOverlap, Service: service, Tick: tickISO(next.start.Tick),
				Processes: []string{prev.start.Proc, next.start.Proc}, Records: []string{prev.start.ref, prev.end.ref, next.start.ref},
				Detail: fmt.Sprintf("the run of tick %s started %s before the run of tick %s ended", tickISO(next.start.Tick),
					time.Duration(prev.end.Mono-next.start.Mono), tickISO(prev.start.Tick))})
		}
	}
	return found
}

// stalledDuring reports whether proc was paused (SIGSTOP) at some time in [from, to].
func stalledDuring(h *history, proc string, from, to int64) bool {
	for _, f := range h.faultsDuring(from, to) {
		if f.Proc == faultNodePause && f.Service == proc {
			return true
		}
	}
	return false
}

// clockFaultBefore reports whether a clock-offset fault started before mono.
func clockFaultBefore(h *history, mono int64) bool {
	for _, f := range h.faults {
		if f.Proc == faultClockOffset && f.Mono <= mono {
			return true
		}
	}
	return false
}
