package command

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
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
			var states report.JobStates
			if providerErr == nil { // a backend that failed once would only fail again, as slowly
				var statesErr error
				if states, statesErr = readJobStates(cmd, root); statesErr != nil {
					line, providerErr = line+"\nrun history and job control: UNAVAILABLE: "+statesErr.Error(), statesErr
				}
			}
			out, specs, now := cmd.OutOrStdout(), root.Scheduler.Entries(), time.Now()
			if output == outputJSON {
				jobs := report.Jobs(specs, states, now)
				if err := writeJSON(out, map[string]any{"jobs": jobs, "provider": line}); err != nil {
					return err
				}
				return providerErr
			}
			if err := writeTable(out, report.JobTable(specs, states, now)); err != nil {
				return err
			}
			if _, err := fmt.Fprintln(out, line); err != nil {
				return err
			}
			return providerErr
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// readJobStates reads the states of the registered jobs (report.ReadJobStates) from the backend of this
// command's settings; with no job registered it makes no backend and knows no state.
func readJobStates(cmd *cobra.Command, root *kernel.Root) (report.JobStates, error) {
	jobs := root.JobNames()
	if len(jobs) == 0 {
		return report.JobStates{}, nil
	}
	backend, err := root.ReadBackend(cmd.Context())
	if err != nil {
		return report.JobStates{}, err
	}
	return report.ReadJobStates(cmd.Context(), backend, backend, jobs)
}
