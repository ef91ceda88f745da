package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// runs returns ok records of job j for ticks from..to.
func okRuns(job int, from, to int64) []runRecord {
	var runs []runRecord
	for tick := from; tick <= to; tick++ {
		runs = append(runs, runRecord{service: jobName(job), tick: tick, outcome: "ok", lateMs: float64(tick - from)})
	}
	return runs
}

func TestAnalyzeCountsDoubledAndMissedPerPhase(t *testing.T) {
	// 2 jobs, ticks 100..109; node 0 runs job 0 every tick, node 1 runs job 1 but at tick 103 (missed),
	// and also runs job 0 at tick 101 (doubled)
	node0 := &nodeProcess{index: 0, runs: okRuns(0, 100, 109)}
	node1 := &nodeProcess{index: 1}
	for _, run := range okRuns(1, 100, 109) {
		if run.tick != 103 {
			node1.runs = append(node1.runs, run)
		}
	}
	node1.runs = append(node1.runs, runRecord{service: jobName(0), tick: 101, outcome: "ok"},
		runRecord{service: jobName(1), tick: 103, outcome: "not_selected"})
	node0.runs = append(node0.runs, runRecord{service: jobName(1), tick: 103, outcome: "not_run", won: true}) // won, then stopped
	r := &loadRun{
		options:     loadOptions{jobs: 2},
		processes:   []*nodeProcess{node0, node1},
		windowStart: time.Unix(100, 0),
		windowEnd:   time.Unix(110, 0),
	}
	results := r.analyze()
	if len(results) != 1 {
		t.Fatalf("%d phases without a disruption, want 1", len(results))
	}
	got := results[0]
	if got.expected != 20 || got.executed != 19 || got.doubled != 1 || got.missed != 1 || got.wonNotRun != 1 {
		t.Fatalf("expected %d executed %d doubled %d missed %d won-not-run %d; want 20 19 1 1 1", got.expected, got.executed,
			got.doubled, got.missed, got.wonNotRun)
	}

	// a disruption from 104.5 to 105.2: before = ticks 100..103, around = 104..107, after = 108..109
	r.disruption = "test"
	r.disruptionStart, r.disruptionEnd = time.Unix(104, 5e8), time.Unix(105, 2e8)
	results = r.analyze()
	var cuts []string
	for _, result := range results {
		cuts = append(cuts, time.Unix(result.phase.from, 0).Format("05")+"-"+time.Unix(result.phase.to, 0).Format("05"))
	}
	if strings.Join(cuts, " ") != "40-43 44-47 48-49" {
		t.Fatalf("phases %v, want ticks 100-103, 104-107, 108-109", cuts)
	}
	if results[0].missed != 1 || results[1].missed != 0 || results[1].firstTickWithAllJobsRunAt != 106 {
		t.Fatalf("before missed %d, around missed %d, first complete tick after %d; want 1, 0, 106",
			results[0].missed, results[1].missed, results[1].firstTickWithAllJobsRunAt)
	}

	// an etcd member's kill at 104.5 has a grace of 3 s: "after" starts at 108, the first tick from 107.5 on
	r.grace, r.disruptionEnd = etcdKillGrace, r.disruptionStart
	node0.runs = slices.DeleteFunc(node0.runs, func(run runRecord) bool { return run.tick == 108 && run.service == jobName(0) })
	results = r.analyze()
	if after := results[2]; after.phase.from != 108 || after.missed != 1 || after.missedAt[108] != 1 {
		t.Fatalf("after from %d, missed %d (%v); want from 108, tick 108 missed once", after.phase.from, after.missed, after.missedAt)
	}
	var out strings.Builder
	reportAfter(&out, results[2])
	if want := "after (from end+3s), ticks " + time.Unix(108, 0).Format(time.TimeOnly) + " on: missed 1, doubled 0 (missed by tick: " +
		time.Unix(108, 0).Format(time.TimeOnly) + " 1)\n"; out.String() != want {
		t.Fatalf("reportAfter wrote %q, want %q", out.String(), want)
	}
}

// The etcd requests of a window are reported as KV requests (every KV method) in all and by method, then
// the Lease methods, each per executed tick and per node per second; methods without requests are left out.
func TestReportEtcdRequestsByMethod(t *testing.T) {
	before := etcdRequests{"Txn": 100, "Range": 10, "LeaseKeepAlive": 5}
	after := etcdRequests{"Txn": 300, "Range": 30, "Put": 0, "LeaseKeepAlive": 65, "LeaseGrant": 3}
	var out strings.Builder
	reportEtcdRequests(&out, after.minus(before), 2000, 3, 20*time.Second)
	for _, want := range []string{
		"KV requests       220 (0.1100 per executed tick, 3.67 per node per second)",
		"Txn             200 (0.1000 per executed tick, 3.33 per node per second)",
		"Range           20 (0.0100 per executed tick",
		"Lease requests    63 (0.0315 per executed tick",
		"LeaseKeepAlive  60 (0.0300 per executed tick",
		"LeaseGrant      3 (",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Put") || strings.Contains(out.String(), "other") {
		t.Errorf("report names a method without requests, or an empty group:\n%s", out.String())
	}
}
