package verify

import (
	"testing"
	"time"
)

func TestNoOverlapChecksLiveHoldersOnly(t *testing.T) {
	s := int64(time.Second)
	run := func(proc string, tick, start, end int64) *runRecord {
		r := &runRecord{start: Record{Kind: kindRunStart, Proc: proc, Service: "slow", Tick: tick, Mono: start}}
		if end != 0 {
			r.end = &Record{Kind: kindRunEnd, Proc: proc, Service: "slow", Tick: tick, Mono: end}
		}
		return r
	}
	pause := Record{Kind: kindFault, Proc: faultNodePause, Service: "n1.0", Mono: 11 * s, EndMono: 18 * s}
	clock := Record{Kind: kindFault, Proc: faultClockOffset, Service: "n2.0", Mono: 5 * s, EndMono: 6 * s}
	cases := []struct {
		name    string
		h       *history
		backend string
		want    int
	}{
		{"one after the other", &history{runs: []*runRecord{run("n1.0", 10*s, 10*s, 12*s), run("n2.0", 12*s, 12*s+1, 14*s)}}, backendRedis, 0},
		{"overlapping", &history{runs: []*runRecord{run("n1.0", 10*s, 10*s, 13*s), run("n2.0", 12*s, 12*s, 14*s)}}, backendRedis, 1},
		{"holder paused while it ran", &history{runs: []*runRecord{run("n1.0", 10*s, 10*s, 19*s), run("n2.0", 16*s, 16*s, 17*s)},
			faults: []Record{pause}}, backendRedis, 0},
		{"holder killed", &history{runs: []*runRecord{run("n1.0", 10*s, 10*s, 0), run("n2.0", 12*s, 12*s, 14*s)}}, backendRedis, 0},
		{"etcd after a clock fault", &history{runs: []*runRecord{run("n1.0", 10*s, 10*s, 13*s), run("n2.0", 12*s, 12*s, 14*s)},
			faults: []Record{clock}}, backendEtcd, 0},
		{"redis after a clock fault", &history{runs: []*runRecord{run("n1.0", 10*s, 10*s, 13*s), run("n2.0", 12*s, 12*s, 14*s)},
			faults: []Record{clock}}, backendRedis, 1},
	}
	for _, c := range cases {
		if got := noOverlap(c.h, c.backend); len(got) != c.want {
			t.Errorf("%s: %d violations %v; want %d", c.name, len(got), got, c.want)
		}
	}
}
