package command

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/record"
)

// Output formats of the read commands (`cron history`, `cron list`, `cron state`).
const (
	outputTable = "table"
	outputJSON  = "json"
)

// addOutputFlag adds --output to cmd, bound to format.
func addOutputFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVarP(format, "output", "o", outputTable, "output format: table or json")
}

// checkOutput returns an error naming format when it is neither table nor json.
func checkOutput(format string) error {
	if format != outputTable && format != outputJSON {
		return fmt.Errorf("--output %q is not a format: valid values are %q and %q", format, outputTable, outputJSON)
	}
	return nil
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(out io.Writer, v any) error {
	encoder := json.NewEncoder(out)
	encoder.SetIndent("", "  ")
	return encoder.Encode(v)
}

// jsonRun is a run record as the read commands print it: RFC 3339 times, durations in milliseconds.
type jsonRun struct {
	Job        string  `json:"job"`
	Type       string  `json:"type"`
	Service    string  `json:"service,omitempty"`
	Tick       string  `json:"tick"`
	LastTick   string  `json:"last_tick,omitempty"`
	Count      int     `json:"count"`
	AppID      string  `json:"app_id"`
	Hostname   string  `json:"hostname"`
	PID        int     `json:"pid"`
	Outcome    string  `json:"outcome"`
	Started    string  `json:"started"`
	Finished   string  `json:"finished"`
	DurationMS float64 `json:"duration_ms"`
	LateMS     float64 `json:"late_ms"`
	Error      string  `json:"error,omitempty"`
	Attempt    int     `json:"attempt"`
}

func toJSONRun(r record.Run) jsonRun {
	run := jsonRun{Job: r.Job, Type: r.Type, Service: r.Service, Tick: rfc3339(r.Tick), Count: r.Count,
		AppID: r.AppID, Hostname: r.Hostname, PID: r.PID, Outcome: string(r.Outcome), Started: rfc3339(r.Started),
		Finished: rfc3339(r.Finished), DurationMS: milliseconds(r.Finished.Sub(r.Started)),
		LateMS: milliseconds(r.Late), Error: r.Error, Attempt: r.Attempt}
	if r.Count > 1 {
		run.LastTick = rfc3339(r.LastTick)
	}
	return run
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// jobNames returns the job names of specs, in registration order.
func jobNames(specs []engine.Entry) []string {
	names := make([]string, 0, len(specs))
	for _, spec := range specs {
		names = append(names, spec.Name)
	}
	return names
}

// checkJob returns an error naming job and listing the registered jobs when job is not one of them.
func checkJob(specs []engine.Entry, job string) error {
	names := jobNames(specs)
	if slices.Contains(names, job) {
		return nil
	}
	if len(names) == 0 {
		return fmt.Errorf("job %q is unknown: this application registers no cron entry", job)
	}
	return fmt.Errorf("job %q is unknown: the jobs are %s", job, strings.Join(names, ", "))
}
