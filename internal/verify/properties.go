package verify

import (
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

// Property names, in summary.json and the report.
const (
	propAtMostOnce   = "at_most_once"
	propLinearizable = "linearizable_fence"
	propNeverStale   = "never_stale"
	propNoOverlap    = "no_overlap"
	propLiveness     = "liveness"
	propFaults       = "faults_happened"
	propLimitedRuns  = "limited_runs"
	propBufferOrder  = "buffered_order"
)

// properties lists them in report order.
var properties = []string{propAtMostOnce, propLinearizable, propNeverStale, propNoOverlap, propLiveness,
	propLimitedRuns, propBufferOrder, propFaults}

// Violation is one broken property: which, where, which processes and the records involved (file:line
// under the output folder).
type Violation struct {
	Property  string   `json:"property"`
	Service   string   `json:"service,omitempty"`
	Tick      string   `json:"tick,omitempty"`
	Processes []string `json:"processes,omitempty"`
	Records   []string `json:"records,omitempty"`
	Detail    string   `json:"detail"`
}

// atMostOnce: no (service, tick) started twice, and no run without a won claim of its process (of the
// buffered service, without a won claim of any process: a buffered tick runs where its turn comes).
func atMostOnce(h *history) []Violation {
	var found []Violation
	for key, runs := range h.runsByTick {
		if len(runs) > 1 {
			v := Violation{Property: propAtMostOnce, Service: key.service, Tick: tickISO(key.tick),
				Detail: fmt.Sprintf("the tick started %d times", len(runs))}
			for _, r := range runs {
				v.Processes, v.Records = append(v.Processes, r.start.Proc), append(v.Records, r.start.ref)
			}
			found = append(found, v)
		}
		for _, r := range runs {
			if winningClaim(h, r) == nil && (key.service != bufferedService || !anyWon(h, key)) {
				found = append(found, Violation{Property: propAtMostOnce, Service: key.service, Tick: tickISO(key.tick),
					Processes: []string{r.start.Proc}, Records: []string{r.start.ref},
					Detail: "a run whose process has no won claim of the tick"})
			}
		}
	}
	return found
}

// anyWon reports whether some process won the claim of tick key.
func anyWon(h *history, key tickKey) bool {
	for _, c := range h.claimsByTick[key] {
		if c.ret != nil && c.ret.Result == resultWon {
			return true
		}
	}
	return false
}

// bufferedOrder: the buffered service's runs start in tick order (each once: atMostOnce).
func bufferedOrder(h *history) []Violation {
	var runs []*runRecord
	for _, r := range h.runs {
		if r.start.Service == bufferedService {
			runs = append(runs, r)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].start.Mono < runs[j].start.Mono })
	var found []Violation
	for i := 1; i < len(runs); i++ {
		if prev, next := runs[i-1], runs[i]; next.start.Tick <= prev.start.Tick {
			found = append(found, Violation{Property: propBufferOrder, Service: bufferedService, Tick: tickISO(next.start.Tick),
				Processes: []string{prev.start.Proc, next.start.Proc}, Records: []string{prev.start.ref, next.start.ref},
				Detail: fmt.Sprintf("the run of tick %s started after the run of tick %s", tickISO(next.start.Tick),
					tickISO(prev.start.Tick))})
		}
	}
	return found
}

// winningClaim returns r's process's last won claim of r's tick, or nil.
func winningClaim(h *history, r *runRecord) *claim {
	var won *claim
	for _, c := range h.claimsByTick[tickKey{r.start.Service, r.start.Tick}] {
		if c.invoke.Proc == r.start.Proc && c.ret != nil && c.ret.Result == resultWon {
			won = c
		}
	}
	return won
}

// neverStale: no run of a tick whose winning claim was sent after a later tick of the service had been
// answered as held (won by it or by another): the fence had passed the tick before the claim.
func neverStale(h *history) []Violation {
	latest := map[string][]*claim{} // per service, answered claims that name a holder, by return time
	for _, c := range h.claims {
		if c.ret != nil && (c.ret.Result == resultWon || c.ret.Result == resultHeld) {
			latest[c.invoke.Service] = append(latest[c.invoke.Service], c)
		}
	}
	var found []Violation
	for _, r := range h.runs {
		won := winningClaim(h, r)
		if won == nil {
			continue
		}
		for _, other := range latest[r.start.Service] {
			if other.invoke.Tick > r.start.Tick && other.ret.Mono < won.invoke.Mono {
				found = append(found, Violation{Property: propNeverStale, Service: r.start.Service,
					Tick: tickISO(r.start.Tick), Processes: []string{r.start.Proc, other.invoke.Proc},
					Records: []string{won.invoke.ref, won.ret.ref, other.ret.ref, r.start.ref},
					Detail:  fmt.Sprintf("won and ran after tick %s had been claimed", tickISO(other.invoke.Tick))})
				break
			}
		}
	}
	return found
}

// linearizable checks each service's claim history against fenceModel with porcupine, and writes the
// visualisation of the first failing services into out. It returns ok, the violations, and an error
// when porcupine could not decide within the time it was given.
// claimerClock says whether the backend reads the claiming node's clock (else its own).
func linearizable(h *history, out string, claimerClock bool) (bool, []Violation, error) {
	clients := map[string]int{}
	byService := map[string][]porcupine.Operation{}
	for _, c := range h.claims {
		client, ok := clients[c.invoke.Proc]
		if !ok {
			client = len(clients)
			clients[c.invoke.Proc] = client
		}
		byService[c.invoke.Service] = append(byService[c.invoke.Service], c.operation(client, claimerClock))
	}
	model := fenceModel.ToModel()
	services := make([]string, 0, len(byService))
	for service := range byService {
		services = append(services, service)
	}
	sort.Strings(services)
	var bad []porcupine.Operation
	var found []Violation
	for _, service := range services {
		switch porcupine.CheckOperationsTimeout(model, byService[service], 30*time.Second) {
		case porcupine.Unknown:
			return false, nil, fmt.Errorf("porcupine could not decide service %s's history within 30s", service)
		case porcupine.Illegal:
			found = append(found, stuckAt(model, service, byService[service]))
			if len(found) <= 3 {
				bad = append(bad, byService[service]...)
			}
		}
	}
	if len(found) == 0 {
		return true, nil, nil
	}
	_, info := porcupine.CheckOperationsVerbose(model, bad, 60*time.Second)
	if err := porcupine.VisualizePath(model, info, filepath.Join(out, "linearizability.html")); err != nil {
		return false, found, fmt.Errorf("write porcupine's visualisation: %w", err)
	}
	return false, found, nil
}

// stuckAt describes a service whose claims are not linearizable: the claims that could not be placed
// after the longest linearizable prefix porcupine found (those returning first).
func stuckAt(model porcupine.Model, service string, ops []porcupine.Operation) Violation {
	v := Violation{Property: propLinearizable, Service: service}
	_, info := porcupine.CheckOperationsVerbose(model, ops, 30*time.Second)
	placed := map[*claim]bool{}
	var longest []porcupine.Operation
	for _, partition := range info.PartialLinearizationsOperations() {
		for _, linearization := range partition {
			if len(linearization) > len(longest) {
				longest = linearization
			}
		}
	}
	for _, op := range longest {
		placed[op.Metadata.(*claim)] = true
	}
	var next []porcupine.Operation
	for _, op := range ops {
		if !placed[op.Metadata.(*claim)] {
			next = append(next, op)
		}
	}
	sort.Slice(next, func(i, j int) bool { return next[i].Return < next[j].Return })
	var described []string
	for _, op := range next[:min(3, len(next))] {
		c := op.Metadata.(*claim)
		v.Processes, v.Records = append(v.Processes, c.invoke.Proc), append(v.Records, c.invoke.ref)
		if c.ret != nil {
			v.Records = append(v.Records, c.ret.ref)
		}
		v.Tick = tickISO(c.invoke.Tick)
		described = append(described, model.DescribeOperation(op.Input, op.Output))
	}
	if len(longest) > 0 {
		last := longest[len(longest)-1]
		v.Records = append(v.Records, "after "+last.Metadata.(*claim).invoke.ref)
	}
	v.Detail = fmt.Sprintf("%d claims are not linearizable against the fence model: after %d placed, none of %q fits; see linearizability.html",
		len(ops), len(longest), described)
	return v
}

// faultsHappened: every kind of the plan was injected at least once.
func faultsHappened(h *history, kinds []string) (map[string]int, []Violation) {
	counts := map[string]int{}
	for _, kind := range kinds {
		counts[kind] = 0
	}
	for _, f := range h.faults {
		counts[f.Proc]++
	}
	var found []Violation
	for _, kind := range kinds {
		if counts[kind] == 0 {
			found = append(found, Violation{Property: propFaults, Detail: fmt.Sprintf("no %s fault was injected", kind)})
		}
	}
	return counts, found
}

func tickISO(tick int64) string { return time.Unix(0, tick).UTC().Format(time.RFC3339) }

// limitedRunsKept: the service with WithLimitedRuns(limitedRuns) started at most limitedRuns ticks in all,
// whatever the faults (the backend counts each run before it starts), plus limitedRuns more after each
// fault that wiped the backend's data (redis-restart-empty: the count is lost with it, as documented).
func limitedRunsKept(h *history) []Violation {
	wipes := 0
	for _, f := range h.faults {
		if f.Proc == faultRedisWipe {
			wipes++
		}
	}
	limit := limitedRuns * (1 + wipes)
	var ticks []int64
	var refs []string
	for key, runs := range h.runsByTick {
		if key.service == limitedService && len(runs) > 0 {
			ticks, refs = append(ticks, key.tick), append(refs, runs[0].start.ref)
		}
	}
	if len(ticks) <= limit {
		return nil
	}
	sort.Slice(ticks, func(i, j int) bool { return ticks[i] < ticks[j] })
	return []Violation{{Property: propLimitedRuns, Service: limitedService, Tick: tickISO(ticks[limit]), Records: refs,
		Detail: fmt.Sprintf("%d ticks ran; the limit is %d (WithLimitedRuns(%d), %d wipes of the backend's data)",
			len(ticks), limit, limitedRuns, wipes)}}
}
