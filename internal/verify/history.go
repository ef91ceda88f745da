package verify

import (
	"fmt"
	"sort"
)

// claim is one claim: its invoke record and its return record (nil: the process died before it).
type claim struct {
	invoke Record
	ret    *Record
}

// run is one run of a service's tick: its start record and its end record (nil: killed, or not ended).
type runRecord struct {
	start Record
	end   *Record
}

// history is everything the records say, indexed for the checks.
type history struct {
	claims []*claim
	runs   []*runRecord
	nodes  []Record // node records, by start
	faults []Record // fault records, by start
	torn   int
	// clockOffset is wall minus mono on this host, to place ticks (wall) on the monotonic clock.
	clockOffset int64

	claimsByTick map[tickKey][]*claim
	runsByTick   map[tickKey][]*runRecord
}

type tickKey struct {
	service string
	tick    int64
}

// buildHistory joins the records of dir into a history.
func buildHistory(dir string) (*history, error) {
	records, torn, err := readRecords(dir)
	if err != nil {
		return nil, err
	}
	h := &history{torn: torn, claimsByTick: map[tickKey][]*claim{}, runsByTick: map[tickKey][]*runRecord{}}
	type opKey struct {
		proc string
		op   int64
	}
	claims := map[opKey]*claim{}
	runs := map[string]*runRecord{} // proc/service/tick
	for i := range records {
		r := records[i]
		key := tickKey{r.Service, r.Tick}
		switch r.Kind {
		case kindInvoke:
			c := &claim{invoke: r}
			claims[opKey{r.Proc, r.Op}] = c
			h.claims = append(h.claims, c)
			h.claimsByTick[key] = append(h.claimsByTick[key], c)
		case kindReturn:
			c, ok := claims[opKey{r.Proc, r.Op}]
			if !ok {
				return nil, fmt.Errorf("%s: a return without its invoke", r.ref)
			}
			c.ret = &r
		case kindRunStart:
			run := &runRecord{start: r}
			runs[fmt.Sprintf("%s/%s/%d", r.Proc, r.Service, r.Tick)] = run
			h.runs = append(h.runs, run)
			h.runsByTick[key] = append(h.runsByTick[key], run)
		case kindRunEnd:
			if run, ok := runs[fmt.Sprintf("%s/%s/%d", r.Proc, r.Service, r.Tick)]; ok {
				run.end = &r
			}
		case kindNode:
			h.nodes = append(h.nodes, r)
			h.clockOffset = r.Wall - r.Mono
		case kindFault:
			h.faults = append(h.faults, r)
		}
	}
	if len(h.nodes) == 0 {
		return nil, fmt.Errorf("%s holds no node record: the run did not complete", dir)
	}
	sort.Slice(h.nodes, func(i, j int) bool { return h.nodes[i].Mono < h.nodes[j].Mono })
	sort.Slice(h.faults, func(i, j int) bool { return h.faults[i].Mono < h.faults[j].Mono })
	return h, nil
}

// mono places a wall time (a tick) on the monotonic clock.
func (h *history) mono(wall int64) int64 { return wall - h.clockOffset }

// node returns the node record of proc.
func (h *history) node(proc string) (Record, bool) {
	for _, n := range h.nodes {
		if n.Proc == proc {
			return n, true
		}
	}
	return Record{}, false
}

// faultsDuring returns the faults whose [start, end] overlaps [from, to] (monotonic ns).
func (h *history) faultsDuring(from, to int64) []Record {
	var overlapping []Record
	for _, f := range h.faults {
		if f.Mono <= to && f.EndMono >= from {
			overlapping = append(overlapping, f)
		}
	}
	return overlapping
}
