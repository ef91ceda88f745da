package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/jobrequest"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/order"
)

func newCronKillCommand(root *kernel.Root) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "kill JOB",
		Short: "Cancel the running run of a job, wherever it runs in the cluster",
		Long: `Cancel the context of JOB's run in progress on every live cron process sharing this command's
backend (they learn it at their next heartbeat, within a second), and wait until each process that ran it
confirms: the run ends with outcome "killed" and is not retried. A command that ignores its context goes
on until it returns. Exit 1 when no run of JOB is in progress, or when the confirmations do not come
within --timeout.`,
		Annotations: operation,
		Args:        cobra.ExactArgs(1),
		RunE: controlRunE(root, func(cmd *cobra.Command, control contract.JobControl, registry contract.ProcessRegistry, job string) error {
			return kill(cmd, control, registry, job, timeout)
		}),
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the confirmations")
	return cmd
}

// kill requests the kill of job's runs and waits for a confirmation from each process running one.
func kill(cmd *cobra.Command, control contract.JobControl, registry contract.ProcessRegistry, job string, timeout time.Duration) error {
	processes, err := liveProcesses(cmd.Context(), registry, "be killed")
	if err != nil {
		return err
	}
	running := 0
	for _, p := range processes {
		for _, r := range p.Running {
			if r.Job == job {
				running++
				break
			}
		}
	}
	if running == 0 {
		return kernel.WithExitCode(1, fmt.Errorf("no run of %s is in progress on the %d live cron processes: nothing to kill", job, len(processes)))
	}
	request, err := jobrequest.Send(cmd.Context(), control, job, order.Kill)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	confirmed := 0
	_, err = jobrequest.Await(ctx, control, request.ID, func(answers []order.Answer) (order.Answer, bool) {
		confirmed = len(answers)
		return order.Answer{}, confirmed >= running
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("killing %s: %d of the %d processes running it confirmed within %s (request %s); `cron state` shows the runs in progress",
			job, confirmed, running, timeout, request.ID)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "killed %s on %d process(es)\n", job, running)
	return err
}
