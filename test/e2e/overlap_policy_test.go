package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// runSpan is a run of a job: its tick and when its command ran, from its line.
type runSpan struct {
	tick       time.Time
	start, end time.Time
	outcome    string
	buffered   bool
}

// runSpans returns the runs of ticks (the lines whose command ran), by start: a command starts late_ms
// after its tick (plus jitter) and ends at its line's time.
func runSpans(ticks map[time.Time][]tickLine, ran func(outcome string) bool) []runSpan {
	var spans []runSpan
	for tick, lines := range ticks {
		for _, line := range lines {
			if ran(line.outcome) {
				start := tick.Add(time.Duration((line.jitterMS + line.lateMS) * float64(time.Millisecond))) // the command's start
				spans = append(spans, runSpan{tick: tick, start: start, end: line.at, outcome: line.outcome,
					buffered: line.buffered})
			}
		}
	}
	slices.SortFunc(spans, func(a, b runSpan) int { return a.start.Compare(b.start) })
	return spans
}

// checkRunsApart fails when two of spans (sorted by start) ran at once, beyond the lines' clock slack.
func checkRunsApart(t *testing.T, job string, spans []runSpan) {
	t.Helper()
	const slack = 20 * time.Millisecond // a line's time is taken just after its run's end
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Add(slack).Before(spans[i-1].end) {
			t.Errorf("%s: the run of tick %s started at %s, before the run of tick %s ended at %s", job,
				spans[i].tick.Format(time.RFC3339), spans[i].start.Format(time.RFC3339Nano),
				spans[i-1].tick.Format(time.RFC3339), spans[i-1].end.Format(time.RFC3339Nano))
		}
	}
}

// checkQueued checks the OverlapBufferAll job: every tick ran at most once, in tick order, one at a
// time; some ran buffered; every tick was run, buffered or skipped for a reason.
func checkQueued(t *testing.T, ticks map[time.Time][]tickLine) {
	t.Helper()
	spans := runSpans(ticks, func(outcome string) bool { return outcome == "ok" })
	checkRunsApart(t, "queued", spans)
	buffered := 0
	for i, span := range spans {
		if i > 0 && !span.tick.After(spans[i-1].tick) {
			t.Errorf("queued: tick %s ran after tick %s; want every tick once, in tick order",
				span.tick.Format(time.RFC3339), spans[i-1].tick.Format(time.RFC3339))
		}
		if span.buffered {
			buffered++
		}
	}
	if len(spans) < 4 || buffered == 0 {
		t.Errorf("queued: %d runs, %d of them buffered; want at least 4, some buffered", len(spans), buffered)
	}
	for tick, lines := range ticks {
		for _, line := range lines {
			stopped := line.outcome == "not_run" && strings.Contains(line.reason, "the process began to stop")
			if line.outcome != "ok" && line.outcome != "buffered" && line.outcome != "not_claimed" && !stopped {
				t.Errorf("queued: tick %s: %s (reason %q, error %q); want ok or buffered (or, at the stop, not "+
					"claimed or not run)", tick.Format(time.RFC3339), line.outcome, line.reason, line.errText)
			}
		}
	}
}

// checkReplaced checks the OverlapCancelOther job: runs were killed by the next tick, naming it, and
// no run started before the run it replaced had ended.
func checkReplaced(t *testing.T, ticks map[time.Time][]tickLine) {
	t.Helper()
	spans := runSpans(ticks, func(outcome string) bool { return outcome == "ok" || outcome == "killed" || outcome == "canceled" })
	checkRunsApart(t, "replaced", spans)
	replaced := 0
	for _, lines := range ticks {
		for _, line := range lines {
			if line.outcome == "killed" && strings.Contains(line.reason, "replaced by tick") {
				replaced++
			}
		}
	}
	if replaced < 2 {
		t.Errorf("replaced: %d runs killed by the next tick; want at least 2 (runs: %v)", replaced, spans)
	}
}

// checkTerminated checks the OverlapTerminateOther job, whose command ignores its context: runs were
// killed by the next tick and abandoned, still running, and later ticks ran.
func checkTerminated(t *testing.T, ticks map[time.Time][]tickLine) {
	t.Helper()
	abandoned, ran := 0, 0
	for _, lines := range ticks {
		for _, line := range lines {
			switch {
			case line.outcome == "killed" && strings.Contains(line.reason, "replaced by tick") &&
				strings.Contains(line.reason, "abandoned, still running"):
				abandoned++
				ran++
			case line.outcome == "ok":
				ran++
			}
		}
	}
	if abandoned == 0 || ran < 3 {
		t.Errorf("terminated: %d runs, %d of them killed by the next tick and abandoned; want 3 runs or more, some abandoned",
			ran, abandoned)
	}
}
