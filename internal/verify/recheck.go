package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// recheck checks the records of an earlier run in dir again, with this build's checker, and rewrites
// dir/summary.json and dir/report.txt: `hadeverify check DIR`. The run's settings, window and fault kinds
// come from the summary.json the run wrote; the processes' timing cannot be replayed, their records can.
func recheck(dir string, stdout io.Writer) (*Summary, error) {
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, fmt.Errorf("check %s: %w (give the output folder of an earlier run)", dir, err)
	}
	var earlier Summary
	if err := json.Unmarshal(data, &earlier); err != nil {
		return nil, fmt.Errorf("check %s: summary.json: %w", dir, err)
	}
	b, err := newBackend(earlier.Backend)
	if err != nil {
		return nil, err
	}
	opts := Options{Backend: earlier.Backend, Seed: earlier.Seed, Nodes: earlier.Nodes, Services: earlier.Services,
		Slow: earlier.SlowServices, Hold: time.Duration(earlier.HoldMs) * time.Millisecond,
		Jitter:   time.Duration(earlier.JitterMs) * time.Millisecond,
		Duration: time.Duration(earlier.WindowSeconds) * time.Second, Out: dir, Sabotage: earlier.Sabotage}
	r := &run{opts: opts, backend: b, start: earlier.WindowStart, end: earlier.WindowEnd,
		all: make([]*node, earlier.Processes)}
	for kind := range earlier.Faults {
		r.kinds = append(r.kinds, kind)
	}
	sort.Strings(r.kinds)
	return check(r, stdout)
}
