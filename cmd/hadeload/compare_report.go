package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"
)

// librarySummary is one library's row of `hadeload compare`, over the ticks [from, to] of its window.
type librarySummary struct {
	name           string
	from, to       int64 // first and last tick of the window, Unix s
	expected, runs int   // job ticks in the window (jobs × ticks); the ok runs of those ticks
	other          int   // runs of those ticks with another outcome (hade: skipped, error, …)
	cpu            time.Duration
	cpuPerRunUs    float64 // cpu (user + system, between the window's usage marks) / runs, µs
	p50, p99, max  float64 // start lateness of the runs (start minus tick), ms
	peakRSSMiB     float64 // peak RSS at the window's end mark, MiB
	startRSSMiB    float64 // peak RSS at the node's first mark, before it registered any job, MiB
	recordsLost    int64   // hade: the run history records its log said it lost (a full queue drops them)
}

// summarize returns the summary of a library's node: its runs, its three usage marks (taken before it
// registered any job, at the window's start and at its end) and jobs, over the ticks [from, to] (Unix s).
// It fails without three marks or without runs.
func summarize(name string, runs []runRecord, marks []usageMark, jobs int, from, to int64) (
	librarySummary, error) {
	s := librarySummary{name: name, from: from, to: to, expected: jobs * int(to-from+1)}
	if len(marks) != 3 {
		return s, fmt.Errorf("%s: %d usage marks in its log, want 3 (its start, the window's start and end)",
			name, len(marks))
	}
	s.cpu = time.Duration(marks[2].CPUNs - marks[1].CPUNs)
	s.peakRSSMiB = float64(marks[2].PeakRSSKiB) / 1024
	s.startRSSMiB = float64(marks[0].PeakRSSKiB) / 1024
	var late []float64
	for _, run := range runs {
		switch {
		case run.tick < from || run.tick > to:
		case run.outcome != "ok":
			s.other++
		default:
			s.runs++
			late = append(late, run.lateMs)
		}
	}
	if s.runs == 0 {
		return s, fmt.Errorf("%s: no run in the window", name)
	}
	s.cpuPerRunUs = float64(s.cpu.Nanoseconds()) / 1e3 / float64(s.runs)
	s.p50, s.p99, s.max = percentiles(late)
	return s, nil
}

// target is one of the targets of the issue "the cost" for hade against robfig/cron bare: hade/robfig at
// most limit (ratio), else hade minus robfig at most limit (in unit).
type target struct {
	measure      string
	unit         string
	hade, robfig float64
	ratio        bool
	limit        float64
}

// targets returns the targets for one comparison: CPU per run at most 2× robfig's, p99 lateness
// at most robfig's + 5 ms, peak RSS at most 2× robfig's.
func targets(hade, robfig librarySummary) []target {
	return []target{
		{"CPU per run", "µs", hade.cpuPerRunUs, robfig.cpuPerRunUs, true, 2},
		{"start lateness p99", "ms", hade.p99, robfig.p99, false, 5},
		{"peak RSS", "MiB", hade.peakRSSMiB, robfig.peakRSSMiB, true, 2},
	}
}

// value is hade/robfig for a ratio (+Inf when robfig's is 0), else hade minus robfig.
func (t target) value() float64 {
	if t.ratio {
		return t.hade / t.robfig
	}
	return t.hade - t.robfig
}

// met reports whether the target is met.
func (t target) met() bool {
	value := t.value()
	return !math.IsNaN(value) && value <= t.limit
}

// cells returns the value and the limit as printed: "15.2x" and "<= 2x", or "+3.1 ms" and "<= +5 ms".
func (t target) cells() (value, limit string) {
	if t.ratio {
		return fmt.Sprintf("%.2fx", t.value()), fmt.Sprintf("<= %gx", t.limit)
	}
	return fmt.Sprintf("%+.2f %s", t.value(), t.unit), fmt.Sprintf("<= %+g %s", t.limit, t.unit)
}

// writeComparison prints the comparison of `hadeload compare`: a row per library, then the targets.
func writeComparison(out io.Writer, o compareOptions, hade, robfig librarySummary) error {
	fmt.Fprintf(out, "hadeload compare: 1 process x %d normal every-second jobs with instant bodies per "+
		"library, one library after the other; warm-up %s, window %s\n\n", o.jobs, o.warmup, o.duration)
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "library\tticks\texpected\truns ok\tother\tCPU s\tCPU µs/run\tlate p50 ms\t"+
		"late p99 ms\tlate max ms\tpeak RSS MiB\tRSS at start MiB\t")
	for _, s := range []librarySummary{hade, robfig} {
		ticks := time.Unix(s.from, 0).Format(time.TimeOnly) + "-" + time.Unix(s.to, 0).Format(time.TimeOnly)
		fmt.Fprintf(table, "%s\t%s\t%d\t%d\t%d\t%.3f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t\n", s.name, ticks,
			s.expected, s.runs, s.other, s.cpu.Seconds(), s.cpuPerRunUs, s.p50, s.p99, s.max, s.peakRSSMiB,
			s.startRSSMiB)
	}
	if err := table.Flush(); err != nil {
		return err
	}
	if hade.recordsLost > 0 {
		fmt.Fprintf(out, "\nhade lost %d run history records (its queue overflowed): its CPU per run leaves out "+
			"their writes\n", hade.recordsLost)
	}
	fmt.Fprintln(out)
	table = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "target (issue \"the cost\")\thade\trobfig\thade vs robfig\ttarget\tresult\t")
	for _, t := range targets(hade, robfig) {
		value, limit := t.cells()
		met := "met"
		if !t.met() {
			met = "NOT met"
		}
		fmt.Fprintf(table, "%s\t%.2f %s\t%.2f %s\t%s\t%s\t%s\t\n", t.measure, t.hade, t.unit, t.robfig, t.unit,
			value, limit, met)
	}
	return table.Flush()
}
