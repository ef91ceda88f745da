package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// phase is a range of ticks [from, to] (Unix seconds) reported as one row.
type phase struct {
	name     string
	from, to int64
}

// defaultGrace is how long after a disruption ended its ticks count as "around" it, unless the
// disruption sets loadRun.grace.
const defaultGrace = 2 * time.Second

// phases cuts the window around the disruption: ticks up to 1s before it ("before"), ticks until the
// grace (loadRun.grace, else defaultGrace) after it ended ("around"), the rest ("after": the first tick
// after end+grace on); without a disruption the window is one phase.
func (r *loadRun) phases() []phase {
	first, last := r.windowStart.Unix(), r.windowEnd.Unix()-1
	if r.disruption == "" {
		return []phase{{"all nodes up", first, last}}
	}
	grace := cmp.Or(r.grace, defaultGrace)
	aroundFrom := r.disruptionStart.Add(-time.Second).Unix() + 1 // first tick later than 1s before it
	aroundTo := r.disruptionEnd.Add(grace).Unix()                // last tick at most grace after it ended
	return []phase{
		{"before", first, aroundFrom - 1},
		{"around: " + r.disruption, aroundFrom, aroundTo},
		{fmt.Sprintf("after (from end+%s)", grace), aroundTo + 1, last},
	}
}

// tickKey is one tick of one job.
type tickKey struct {
	service string
	tick    int64
}

// phaseResult is one row of the table.
type phaseResult struct {
	phase                     phase
	expected, executed        int
	doubled, missed           int
	wonNotRun                 int           // job ticks a node won and did not run (a subset of missed)
	missedAt                  map[int64]int // missed job ticks by tick (Unix seconds)
	p50, p99, max             float64       // start lateness of executed runs, ms
	firstTickWithAllJobsRunAt int64         // for the disruption row: the first tick whose every job ran
}

// analyze counts the ok runs per job tick and measures lateness per phase.
func (r *loadRun) analyze() []phaseResult {
	runs := map[tickKey]int{}
	wonNotRun := map[tickKey]bool{}
	lateness := map[int64][]float64{}
	for _, n := range r.processes {
		for _, run := range n.runs {
			if run.won && run.outcome != "ok" {
				wonNotRun[tickKey{run.service, run.tick}] = true
			}
			if run.outcome == "ok" {
				runs[tickKey{run.service, run.tick}]++
				lateness[run.tick] = append(lateness[run.tick], run.lateMs)
			}
		}
	}
	var results []phaseResult
	for _, p := range r.phases() {
		result := phaseResult{phase: p, firstTickWithAllJobsRunAt: -1, missedAt: map[int64]int{}}
		var late []float64
		for tick := p.from; tick <= p.to; tick++ {
			all := true
			for job := 0; job < r.options.jobs; job++ {
				count := runs[tickKey{jobName(job), tick}]
				result.expected++
				if wonNotRun[tickKey{jobName(job), tick}] {
					result.wonNotRun++
				}
				switch {
				case count == 0:
					result.missed++
					result.missedAt[tick]++
					all = false
				case count > 1:
					result.doubled++
				}
				if count > 0 {
					result.executed++
				}
			}
			if all && result.firstTickWithAllJobsRunAt < 0 && !time.Unix(tick, 0).Before(r.disruptionEnd) {
				result.firstTickWithAllJobsRunAt = tick
			}
			late = append(late, lateness[tick]...)
		}
		result.p50, result.p99, result.max = percentiles(late)
		results = append(results, result)
	}
	return results
}

func percentiles(values []float64) (p50, p99, maximum float64) {
	if len(values) == 0 {
		return 0, 0, 0
	}
	slices.Sort(values)
	at := func(q float64) float64 { return values[min(len(values)-1, int(q*float64(len(values))))] }
	return at(0.50), at(0.99), values[len(values)-1]
}

// report prints the table.
func (r *loadRun) report(out io.Writer) error {
	o := r.options
	fmt.Fprintf(out, "hadeload: %d nodes x %d distributed every-second jobs of %s, backend %s, hold %s, window %s (ticks %s to %s)\n\n",
		o.nodes, o.jobs, o.jobDuration, o.backend, o.hold, o.duration, r.windowStart.Format(time.TimeOnly), r.windowEnd.Add(-time.Second).Format(time.TimeOnly))
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "phase\tticks\texpected\texecuted\tdoubled\tmissed\twon not run\tlate p50 ms\tlate p99 ms\tlate max ms\t")
	results := r.analyze()
	executed := 0
	for _, result := range results {
		executed += result.executed
		fmt.Fprintf(table, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t\n", result.phase.name, result.phase.to-result.phase.from+1,
			result.expected, result.executed, result.doubled, result.missed, result.wonNotRun, result.p50, result.p99, result.max)
	}
	if err := table.Flush(); err != nil {
		return err
	}
	if r.disruption != "" {
		around := results[1]
		fmt.Fprintf(out, "\ndisruption: %s at %s", r.disruption, r.disruptionStart.Format("15:04:05.000"))
		if r.disruptionEnd.After(r.disruptionStart) {
			fmt.Fprintf(out, ", over at %s", r.disruptionEnd.Format("15:04:05.000"))
		}
		if around.firstTickWithAllJobsRunAt >= 0 {
			first := time.Unix(around.firstTickWithAllJobsRunAt, 0)
			fmt.Fprintf(out, "; the first tick after it whose every job ran: %s (%s after it ended)", first.Format(time.TimeOnly), first.Sub(r.disruptionEnd).Round(time.Millisecond))
		}
		fmt.Fprintln(out)
		reportAfter(out, results[2])
	}

	fmt.Fprintln(out)
	table = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "node\truns ok\tnot claimed\twon not run\terrors\tCPU s\tCPU % of window\tpeak RSS MiB\t")
	for _, n := range r.processes {
		counts := map[string]int{}
		wonNotRun := 0
		for _, run := range n.runs {
			counts[run.outcome]++
			if run.won && run.outcome != "ok" {
				wonNotRun++
			}
		}
		name := n.name
		switch {
		case n.killed:
			name += " (killed)"
		case n.terminated:
			name += " (SIGTERM)"
		}
		cpu := n.cpuSeconds()
		fmt.Fprintf(table, "%s\t%d\t%d\t%d\t%d\t%.2f\t%.1f\t%.1f\t\n", name, counts["ok"], counts["not_claimed"], wonNotRun,
			counts["error"], cpu, 100*cpu/o.duration.Seconds(), n.peakRSSMiB())
	}
	if r.server != nil {
		name := "server: " + r.server.name + ", window only"
		if r.server.moved {
			name += " (restarted: its new process only)"
		}
		cpu := r.server.cpu.Seconds()
		fmt.Fprintf(table, "%s	-	-	-	-	%.2f	%.1f	-	\n", name, cpu, 100*cpu/o.duration.Seconds())
	}
	if err := table.Flush(); err != nil {
		return err
	}
	if r.cluster != nil && r.requests != nil && executed > 0 {
		reportEtcdRequests(out, r.requests, executed, o.nodes, o.duration)
		fmt.Fprintf(out, "etcd database size every 30s of the window:\n%s\n", strings.Join(r.dbSizes, "\n"))
	}
	if r.postgresCounts != nil && executed > 0 {
		reportPostgres(out, *r.postgresCounts, executed, o.nodes, o.duration)
	}
	if r.commands >= 0 && executed > 0 {
		fmt.Fprintf(out, "\nRedis: %d client commands in the window (commands run inside the claim script not counted): %.3f per executed tick, %.2f per node per second\n",
			r.commands, float64(r.commands)/float64(executed), float64(r.commands)/float64(o.nodes)/o.duration.Seconds())
	}
	return nil
}

// reportAfter writes the line of the ticks after the disruption's grace (the "after" phase): how many job
// ticks were missed and doubled, and the missed ones by tick.
func reportAfter(out io.Writer, after phaseResult) {
	from := time.Unix(after.phase.from, 0).Format(time.TimeOnly)
	fmt.Fprintf(out, "%s, ticks %s on: missed %d, doubled %d", after.phase.name, from, after.missed, after.doubled)
	if after.missed > 0 {
		var byTick []string
		for _, tick := range slices.Sorted(maps.Keys(after.missedAt)) {
			byTick = append(byTick, fmt.Sprintf("%s %d", time.Unix(tick, 0).Format(time.TimeOnly), after.missedAt[tick]))
		}
		fmt.Fprintf(out, " (missed by tick: %s)", strings.Join(byTick, ", "))
	}
	fmt.Fprintln(out)
}
