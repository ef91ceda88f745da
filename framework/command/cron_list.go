package command

import (
	"fmt"
	"io"
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
			line, states, providerErr := listStates(cmd, root)
			if err := printList(cmd.OutOrStdout(), output, root.Scheduler.Entries(), states, line); err != nil {
				return err
			}
			return providerErr
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// listStates returns the provider line, the states of the registered jobs (report.ReadJobStates) and the
// error of the backend, which the line then tells. Once the backend failed, it is not read again (it would
// only fail again, as slowly); with no job registered, it is not read at all.
func listStates(cmd *cobra.Command, root *kernel.Root) (string, report.JobStates, error) {
	line, err := describeProvider(cmd, root)
	jobs := root.JobNames()
	if err != nil || len(jobs) == 0 {
		return line, report.JobStates{}, err
	}
	var states report.JobStates
	backend, err := root.ReadBackend(cmd.Context())
	if err == nil {
		states, err = report.ReadJobStates(cmd.Context(), backend, backend, jobs)
	}
	if err == nil {
		states.Ran, err = report.ReadRunCounts(cmd.Context(), backend, root.Scheduler.Entries())
	}
	if err == nil {
		var processes []record.Process
		if processes, err = record.Processes(cmd.Context(), backend); err == nil {
			states.Buffered = report.BufferedTicks(processes)
		}
	}
	if err != nil {
		line += "\nrun history and job control: UNAVAILABLE: " + err.Error()
	}
	return line, states, err
}

// printList prints specs with their states, as a table (report.JobTable) then line, or as JSON
// ({"jobs": report.Jobs, "provider": line}) when output is json.
func printList(out io.Writer, output string, specs []engine.Entry, states report.JobStates,
	line string) error {
	now := time.Now()
	if output == outputJSON {
		return writeJSON(out, map[string]any{"jobs": report.Jobs(specs, states, now), "provider": line})
	}
	if err := writeTable(out, report.JobTable(specs, states, now)); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, line)
	return err
}
