package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestSummarizeCountsTheWindowOnly(t *testing.T) {
	// 2 jobs, window ticks 100..104; runs of ticks 99 and 105 (outside) and one skipped run are not counted
	runs := append(okRuns(0, 99, 105), okRuns(1, 100, 104)...)
	runs = append(runs, runRecord{service: jobName(1), tick: 102, outcome: "skipped", lateMs: 900})
	marks := []usageMark{{CPUNs: 1e6, PeakRSSKiB: 8 << 10}, {CPUNs: 5e6, PeakRSSKiB: 10 << 10},
		{CPUNs: 5e6 + 180e3, PeakRSSKiB: 30 << 10}}
	got, err := summarize("hade", runs, marks, 2, 100, 104)
	if err != nil {
		t.Fatal(err)
	}
	if got.expected != 10 || got.runs != 10 || got.other != 1 {
		t.Fatalf("expected %d, runs %d, other %d; want 10, 10, 1", got.expected, got.runs, got.other)
	}
	if got.cpu != 180*time.Microsecond || got.cpuPerRunUs != 18 {
		t.Fatalf("CPU %s, %.2f µs a run; want 180µs (between the window's marks), 18 µs", got.cpu, got.cpuPerRunUs)
	}
	if got.peakRSSMiB != 30 || got.startRSSMiB != 8 {
		t.Fatalf("peak RSS %.1f MiB, at start %.1f; want 30 (the end mark's), 8", got.peakRSSMiB, got.startRSSMiB)
	}
	// okRuns makes run k of a job k ms late (from 99 for job 0): job 0 is 1..5 ms late, job 1 0..4 ms
	if got.p50 != 3 || got.max != 5 {
		t.Fatalf("lateness p50 %.1f, max %.1f; want 3, 5", got.p50, got.max)
	}
}

func TestSummarizeNeedsThreeMarksAndRuns(t *testing.T) {
	three := []usageMark{{}, {}, {CPUNs: 1}}
	if _, err := summarize("robfig", okRuns(0, 100, 104), three[:2], 1, 100, 104); err == nil {
		t.Fatal("two usage marks: no error")
	}
	if _, err := summarize("robfig", okRuns(0, 200, 204), three, 1, 100, 104); err == nil {
		t.Fatal("no run in the window: no error")
	}
}

func TestTargetsAgainstRobfig(t *testing.T) {
	robfig := librarySummary{cpuPerRunUs: 1.6, p99: 31, peakRSSMiB: 44}
	for _, c := range []struct {
		name string
		hade librarySummary
		met  []bool // CPU per run, p99, peak RSS
	}{
		{"the issue's figures at 1 x 10000", librarySummary{cpuPerRunUs: 30.6, p99: 250, peakRSSMiB: 243},
			[]bool{false, false, false}},
		{"at the limits", librarySummary{cpuPerRunUs: 3.2, p99: 36, peakRSSMiB: 88}, []bool{true, true, true}},
		{"just past them", librarySummary{cpuPerRunUs: 3.3, p99: 36.1, peakRSSMiB: 88.5},
			[]bool{false, false, false}},
	} {
		for i, target := range targets(c.hade, robfig) {
			if target.met() != c.met[i] {
				value, limit := target.cells()
				t.Errorf("%s: %s %s (%s): met %v, want %v", c.name, target.measure, value, limit, target.met(),
					c.met[i])
			}
		}
	}
	zero := targets(librarySummary{cpuPerRunUs: 1}, librarySummary{})[0]
	if !math.IsInf(zero.value(), 1) || zero.met() {
		t.Fatalf("CPU per run 1 against 0: value %v, met %v; want +Inf, not met", zero.value(), zero.met())
	}
}

func TestWriteComparisonMarksEachTarget(t *testing.T) {
	robfig := librarySummary{name: "robfig", runs: 10, cpuPerRunUs: 2, p99: 30, peakRSSMiB: 40}
	hade := librarySummary{name: "hade", runs: 10, cpuPerRunUs: 5, p99: 33, peakRSSMiB: 60}
	var out strings.Builder
	options := compareOptions{jobs: 1000, duration: 10 * time.Second, warmup: 3 * time.Second}
	if err := writeComparison(&out, options, hade, robfig); err != nil {
		t.Fatal(err)
	}
	printed := strings.Join(strings.Fields(out.String()), " ") // the table's columns one space apart
	for _, want := range []string{"CPU per run 5.00 µs 2.00 µs 2.50x <= 2x NOT met",
		"start lateness p99 33.00 ms 30.00 ms +3.00 ms <= +5 ms met",
		"peak RSS 60.00 MiB 40.00 MiB 1.50x <= 2x met"} {
		if !strings.Contains(printed, want) {
			t.Errorf("no line %q in:\n%s", want, out.String())
		}
	}
	if strings.Contains(printed, "records") {
		t.Errorf("a comparison where hade lost no history record speaks of records:\n%s", out.String())
	}
	hade.recordsLost = 7
	out.Reset()
	if err := writeComparison(&out, options, hade, robfig); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "hade lost 7 run history records") {
		t.Errorf("hade's lost history records are not reported:\n%s", out.String())
	}
}
