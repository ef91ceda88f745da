package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// maxListed bounds the violations listed per property; ViolationCounts counts them all.
const maxListed = 100

// Summary is DIR/summary.json.
type Summary struct {
	Backend         string          `json:"backend"`
	Seed            uint64          `json:"seed"`
	Nodes           int             `json:"nodes"`
	Processes       int             `json:"processes"` // node processes started, restarts included
	Services        int             `json:"services"`
	SlowServices    int             `json:"slow_services"`
	HoldMs          int64           `json:"hold_ms"`
	JitterMs        int64           `json:"jitter_ms"` // WithJitter of every third instant service
	WindowSeconds   int             `json:"window_seconds"`
	WindowStart     time.Time       `json:"window_start"` // the ticks checked: [start, end)
	WindowEnd       time.Time       `json:"window_end"`
	Sabotage        string          `json:"sabotage,omitempty"`
	Runs            int             `json:"runs"`
	Claims          int             `json:"claims"`
	ClaimResults    map[string]int  `json:"claim_results"` // result -> count; "no_return": the process died
	Faults          map[string]int  `json:"faults"`
	Verdicts        map[string]bool `json:"verdicts"` // property -> held
	Linearizable    bool            `json:"linearizable"`
	Liveness        Liveness        `json:"liveness"`
	Violations      []Violation     `json:"violations"`
	ViolationCounts map[string]int  `json:"violation_counts"`
	TornRecords     int             `json:"torn_records"`
	Replay          string          `json:"replay"`
}

// check reads the run's records, checks every property, writes summary.json and report.txt into the
// output folder and prints the report.
func check(r *run, stdout io.Writer) (*Summary, error) {
	h, err := buildHistory(filepath.Join(r.opts.Out, "records"))
	if err != nil {
		return nil, err
	}
	s := &Summary{Backend: r.opts.Backend, Seed: r.opts.Seed, Nodes: r.opts.Nodes, Processes: len(r.all),
		Services: r.opts.Services, SlowServices: r.opts.Slow, HoldMs: r.opts.Hold.Milliseconds(),
		JitterMs: r.opts.Jitter.Milliseconds(), WindowSeconds: int(r.opts.Duration / time.Second),
		WindowStart: r.start.UTC(), WindowEnd: r.end.UTC(), Sabotage: r.opts.Sabotage, Runs: len(h.runs),
		Claims: len(h.claims), ClaimResults: map[string]int{}, TornRecords: h.torn,
		Verdicts: map[string]bool{}, ViolationCounts: map[string]int{}, Violations: []Violation{},
		Replay: replay(r.opts)}
	for _, c := range h.claims {
		if c.ret == nil {
			s.ClaimResults["no_return"]++
		} else {
			s.ClaimResults[c.ret.Result]++
		}
	}
	var all []Violation
	all = append(all, atMostOnce(h)...)
	ok, found, err := linearizable(h, r.opts.Out, r.backend.claimerClock())
	if err != nil {
		return nil, err
	}
	s.Linearizable = ok
	all = append(all, found...)
	all = append(all, neverStale(h)...)
	all = append(all, noOverlap(h, r.opts.Backend)...)
	all = append(all, limitedRunsKept(h)...)
	all = append(all, bufferedOrder(h)...)
	live, found := liveness(h, r.opts, r.start, r.end, r.backend.claimerClock())
	s.Liveness = live
	all = append(all, found...)
	faults, found := faultsHappened(h, r.kinds)
	s.Faults = faults
	all = append(all, found...)
	for _, property := range properties {
		s.Verdicts[property] = true
	}
	order := map[string]int{}
	for i, property := range properties {
		order[property] = i
	}
	sort.SliceStable(all, func(i, j int) bool {
		if order[all[i].Property] != order[all[j].Property] {
			return order[all[i].Property] < order[all[j].Property]
		}
		return all[i].Tick < all[j].Tick
	})
	for _, v := range all {
		s.Verdicts[v.Property] = false
		s.ViolationCounts[v.Property]++
		if s.ViolationCounts[v.Property] <= maxListed {
			s.Violations = append(s.Violations, v)
		}
	}
	return s, s.write(r.opts.Out, stdout)
}

// replay is the command line that runs the same plan again.
func replay(o Options) string {
	line := fmt.Sprintf("hadeverify --backend %s --duration %s --seed %d --nodes %d --services %d --slow %d --hold %s --jitter %s --out DIR",
		o.Backend, o.Duration, o.Seed, o.Nodes, o.Services, o.Slow, o.Hold, o.Jitter)
	if o.Sabotage != "" {
		line += " --sabotage " + o.Sabotage
	}
	if o.Faults != "" {
		line += " --faults " + o.Faults
	}
	return line
}

// write writes summary.json and report.txt into out, and the report to stdout.
func (s *Summary) write(out string, stdout io.Writer) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "summary.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var report strings.Builder
	s.table(&report)
	if err := os.WriteFile(filepath.Join(out, "report.txt"), []byte(report.String()), 0o644); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, report.String())
	return err
}

// table writes the readable report: the run, the verdicts, the counts, the first violations.
func (s *Summary) table(w io.Writer) {
	fmt.Fprintf(w, "backend %s, seed %d, %d nodes (%d processes), %d+%d services, hold %dms, jitter %dms, %ds window%s\n",
		s.Backend, s.Seed, s.Nodes, s.Processes, s.Services, s.SlowServices, s.HoldMs, s.JitterMs, s.WindowSeconds,
		map[bool]string{true: ", SABOTAGED: " + s.Sabotage, false: ""}[s.Sabotage != ""])
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t, "property\tverdict\tviolations")
	for _, property := range properties {
		verdict := "ok"
		if !s.Verdicts[property] {
			verdict = "VIOLATED"
		}
		fmt.Fprintf(t, "%s\t%s\t%d\n", property, verdict, s.ViolationCounts[property])
	}
	_ = t.Flush()
	fmt.Fprintf(w, "runs %d, claims %d %s, torn records %d\n", s.Runs, s.Claims, counts(s.ClaimResults), s.TornRecords)
	fmt.Fprintf(w, "faults %s\n", counts(s.Faults))
	fmt.Fprintf(w, "ticks %d: ran %d, excused %d %s, missed %d\n", s.Liveness.Ticks, s.Liveness.Ran,
		sum(s.Liveness.Excused), counts(s.Liveness.Excused), s.Liveness.Missed)
	for i, v := range s.Violations {
		if i == 10 {
			fmt.Fprintf(w, "... %d more in summary.json\n", len(s.Violations)-10)
			break
		}
		fmt.Fprintf(w, "VIOLATION %s %s %s %v: %s %v\n", v.Property, v.Service, v.Tick, v.Processes, v.Detail, v.Records)
	}
	fmt.Fprintf(w, "replay: %s\n", s.Replay)
}

// counts formats a count map as "(a 1, b 2)", keys sorted.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, key := range keys {
		parts[i] = fmt.Sprintf("%s %d", key, m[key])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func sum(m map[string]int) int {
	total := 0
	for _, n := range m {
		total += n
	}
	return total
}
