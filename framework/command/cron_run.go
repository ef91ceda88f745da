package command

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/jobrequest"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/order"
	"github.com/hadeframe/hade/framework/internal/report"
)

// takeTimeout is how long `cron run` waits for a live process to take its request.
const takeTimeout = 5 * time.Second

// runExitTimeout is the exit status of `cron run --wait` for a run that timed out, as timeout(1) has it.
const runExitTimeout = 124

func newCronRunCommand(root *kernel.Root) *cobra.Command {
	var wait bool
	var overlap string
	cmd := &cobra.Command{
		Use:   "run JOB",
		Short: "Run a job once now, on exactly one live cron process of the cluster",
		Long: `Run JOB once now through the scheduler of exactly one live cron process sharing this command's
backend: the first process to take the request runs it, with the job's timeout and retries, a log line
and a run record, unless its previous run is still going there (outcome skipped). A paused job runs too.
Without --wait it returns once a process started the run; with --wait, once the run ended, with its
outcome as the exit status: 0 ok, 124 timeout, 1 any other. Exit 1 when no live process takes the
request within 5s (none runs, none registers JOB, or they cannot reach the backend). --overlap POLICY
overrides the job's overlap policy for this run: forbid takes the job's run lease (skipped while another
run holds it); allow runs whatever runs elsewhere; buffer_one and buffer_all queue the run behind the
running one; cancel_other and terminate_other cancel the running one first (docs/policies.md).`,
		Annotations: operation,
		Args:        cobra.ExactArgs(1),
		RunE: controlRunE(root, func(cmd *cobra.Command, backend contract.Backend, job string) error {
			if _, err := liveProcesses(cmd.Context(), backend, "run "+job); err != nil {
				return err
			}
			request := order.New(job, order.Run)
			request.Overlap = overlap
			return runNow(cmd, backend, request, wait)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run to end and exit with its outcome (0 ok, 124 timeout, 1 other)")
	cmd.Flags().StringVar(&overlap, "overlap", "", "overlap policy of this run: "+strings.Join(order.OverlapPolicies(), ", ")+" (default: the job's)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if overlap != "" && !slices.Contains(order.OverlapPolicies(), overlap) {
			return fmt.Errorf("--overlap %q is not an overlap policy: valid values are %s (default: the job's)",
				overlap, strings.Join(order.OverlapPolicies(), ", "))
		}
		return nil
	}
	return cmd
}

// runNow sends request, a run request, waits for a process to start it and, with wait, for its end.
func runNow(cmd *cobra.Command, control contract.JobControl, request order.Request, wait bool) error {
	what := "run of " + request.Job
	ended, err := sendRequest(cmd, control, request, what, wait)
	if err != nil || !wait {
		return err
	}
	switch ended.Outcome {
	case "ok":
		return nil
	case "timeout":
		return kernel.WithReportedExitCode(runExitTimeout, fmt.Errorf("%s timed out", what))
	}
	return kernel.WithReportedExitCode(1, fmt.Errorf("%s ended: %s", what, ended.Outcome))
}

// sendRequest sends request (what names it: "run of JOB"), waits for a process to take it and prints
// which did; with wait, it then waits for the final answer, prints it and returns it.
func sendRequest(cmd *cobra.Command, control contract.JobControl, request order.Request, what string,
	wait bool) (order.Answer, error) {
	request, started, err := jobrequest.Start(cmd.Context(), control, request, takeTimeout)
	if errors.Is(err, jobrequest.ErrTimedOut) {
		return order.Answer{}, fmt.Errorf("no live cron process took the %s within %s: none registers the job, or none "+
			"reaches the backend (request %s)", what, takeTimeout, request.ID)
	}
	if err != nil {
		return order.Answer{}, err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s started by app %s (request %s)\n", what, started.AppID, request.ID)
	if !wait {
		return order.Answer{}, nil
	}
	ended, err := jobrequest.Await(cmd.Context(), control, request.ID, jobrequest.Final)
	if err != nil {
		return order.Answer{}, err
	}
	fmt.Fprintf(out, "%s ended: %s%s\n", what, ended.Outcome, detail(ended.Detail))
	return ended, nil
}

func detail(text string) string {
	if text == "" {
		return ""
	}
	return ": " + report.OneLine(text, 200)
}
