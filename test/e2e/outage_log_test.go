package e2e

import (
	"strings"
	"testing"
	"time"
)

// outageStarted is the message a process logs once when its backend (etcd, redis, postgres) stops
// answering its calls; outageEnded the one it logs once when it answers again.
func outageStarted(backend string) string {
	return backend + " does not answer: distributed claims fail (fail closed) until it does"
}

func outageEnded(backend string) string { return backend + " answers again: distributed claims resume" }

// assertOutageLogged checks that some tick failed with an error naming backend (redis, postgres) and its
// host, and that each process logged the outage's start and end once.
func assertOutageLogged(t *testing.T, processes []*process, backend string) {
	t.Helper()
	errors := 0
	for i, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") == "error" {
				errors++
				if !strings.Contains(line.str("error"), backend+" at 127.0.0.1:") {
					t.Fatalf("the error line does not say why: %v", line)
				}
			}
		}
		if down := p.logged(outageStarted(backend)); len(down) != 1 {
			t.Fatalf("process %d logged the outage's start %d times, want once: %v", i, len(down), down)
		}
		if up := p.logged(outageEnded(backend)); len(up) != 1 {
			t.Fatalf("process %d logged the outage's end %d times, want once: %v", i, len(up), up)
		}
	}
	if errors == 0 {
		t.Fatalf("no tick was logged with outcome error while %s was down", backend)
	}
}

// checkOutagesLogged checks that some process logged that etcd did not answer while it was stopped around
// each stalled tick: the claims of the tick failed.
func checkOutagesLogged(t *testing.T, processes []*process, stalls []stall, timeout time.Duration) {
	t.Helper()
	for _, s := range stalls {
		logged := 0
		for _, p := range processes {
			for _, line := range p.logged(outageStarted("etcd")) {
				at, err := time.Parse(time.RFC3339Nano, line.str("time"))
				if err == nil && at.After(s.paused) && at.Before(s.resumed.Add(timeout)) {
					logged++
				}
			}
		}
		t.Logf("tick %s: %d processes logged that etcd did not answer", s.tick.Format(time.TimeOnly), logged)
		if logged == 0 {
			t.Errorf("tick %s: no process logged that etcd did not answer while it was stopped",
				s.tick.Format(time.RFC3339))
		}
	}
}
