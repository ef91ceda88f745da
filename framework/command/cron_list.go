package command

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/report"
)

func newCronListCommand(root *kernel.Root) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the registered cron jobs, their next run and their last recorded run",
		Long: `List the registered cron jobs: name, type, spec, zone, command, service, hold time, next run, and
the last run recorded by any process sharing the backend (tick, outcome, host/pid, duration); then the
backend of this command's settings and whether it answers. It exits 1 when the backend cannot be used (the
table is printed first, without last runs). It reads only and creates no file.`,
		Annotations: operation,
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if err := root.ApplyCronZone(); err != nil {
				return err
			}
			if _, err := resolveCronFiles(cmd); err != nil { // checks the base folder
				return err
			}
			line, providerErr := describeProvider(cmd, root)
			var states jobStates
			if providerErr == nil { // a backend that failed once would only fail again, as slowly
				var statesErr error
				if states, statesErr = readJobStates(cmd, root); statesErr != nil {
					line, providerErr = line+"\nrun history and job control: UNAVAILABLE: "+statesErr.Error(), statesErr
				}
			}
			if output == outputJSON {
				return printJSONList(cmd.OutOrStdout(), root.Scheduler.Entries(), states, line, providerErr, time.Now())
			}
			if err := printList(cmd.OutOrStdout(), root.Scheduler.Entries(), states, time.Now()); err != nil {
				return err
			}
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), line); err != nil {
				return err
			}
			return providerErr
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// jobStates are what `cron list` shows of each job from the backend: its last recorded run and whether
// it is paused.
type jobStates struct {
	last   map[string]record.Run
	paused map[string]bool
}

// readJobStates reads the last recorded run of each registered job and the paused jobs.
func readJobStates(cmd *cobra.Command, root *kernel.Root) (jobStates, error) {
	states := jobStates{paused: map[string]bool{}}
	if len(root.Scheduler.Entries()) == 0 {
		return states, nil
	}
	control, _, err := controlService(cmd, root)
	if err != nil {
		return states, err
	}
	history, err := historyService(cmd, root)
	if err != nil {
		return states, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	paused, err := control.Paused(ctx)
	if err != nil {
		return states, err
	}
	for _, job := range paused {
		states.paused[job] = true
	}
	states.last, err = record.LastRuns(ctx, history, jobNames(root.Scheduler.Entries()))
	return states, err
}

// printList prints a table of specs: job, type, spec, zone, command, service, hold time, next run after
// now, and the last recorded run.
func printList(out io.Writer, specs []engine.Entry, states jobStates, now time.Time) error {
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "JOB\tTYPE\tSPEC\tZONE\tCOMMAND\tSERVICE\tHOLD\tNEXT RUN\tPAUSED\tLAST TICK\tOUTCOME\tWHERE\tDURATION")
	for _, spec := range specs {
		service, hold := "-", "-"
		if spec.ServiceName != "" {
			service, hold = spec.ServiceName, spec.HoldTime.String()
		}
		lastTick, outcome, where, duration := "-", "-", "-", "-"
		paused := "-"
		if states.paused[spec.Name] {
			paused = "paused"
		}
		if r, ok := states.last[spec.Name]; ok {
			lastTick, outcome, duration = r.LastTick.Format(time.RFC3339), string(r.Outcome), shortDuration(r.Finished.Sub(r.Started))
			where = fmt.Sprintf("%s/%d (%s)", r.Hostname, r.PID, shortID(r.AppID))
		}
		fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", spec.Name, spec.Type, spec.Spec, spec.Zone,
			spec.Command, service, hold, nextRun(spec, now), paused, lastTick, outcome, where, duration)
	}
	return table.Flush()
}

// nextRun is the spec's next fire time after now in RFC 3339, or "never".
func nextRun(spec engine.Entry, now time.Time) string {
	if at := spec.Next(now); !at.IsZero() {
		return at.Format(time.RFC3339)
	}
	return "never"
}

// jsonJob is a registered job as `cron list --output json` prints it.
type jsonJob struct {
	Job        string      `json:"job"`
	Type       string      `json:"type"`
	Spec       string      `json:"spec"`
	Zone       string      `json:"zone"`
	Command    string      `json:"command"`
	Service    string      `json:"service,omitempty"`
	HoldMS     float64     `json:"hold_ms,omitempty"`
	NextRun    string      `json:"next_run"`
	Paused     bool        `json:"paused"`
	LastRun    *report.Run `json:"last_run"`
	Definition string      `json:"definition,omitempty"`
}

// printJSONList prints {"jobs": [...], "provider": line} and returns providerErr.
func printJSONList(out io.Writer, specs []engine.Entry, states jobStates, line string,
	providerErr error, now time.Time) error {
	jobs := make([]jsonJob, 0, len(specs))
	for _, spec := range specs {
		job := jsonJob{Job: spec.Name, Type: spec.Type, Spec: spec.Spec, Zone: spec.Zone,
			Command: spec.Command, NextRun: nextRun(spec, now), Paused: states.paused[spec.Name]}
		if spec.ServiceName != "" {
			job.Service, job.HoldMS, job.Definition = spec.ServiceName, milliseconds(spec.HoldTime), spec.Definition
		}
		if r, ok := states.last[spec.Name]; ok {
			run := report.NewRun(r)
			job.LastRun = &run
		}
		jobs = append(jobs, job)
	}
	if err := writeJSON(out, map[string]any{"jobs": jobs, "provider": line}); err != nil {
		return err
	}
	return providerErr
}
