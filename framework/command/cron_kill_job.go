package command

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/jobrequest"
	"github.com/hadeframe/hade/framework/internal/kernel"
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
		RunE: controlRunE(root, func(cmd *cobra.Command, backend contract.Backend, job string) error {
			return kill(cmd, backend, job, timeout)
		}),
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the confirmations")
	return cmd
}

// kill requests the kill of job's runs in the cluster of backend and waits for a confirmation from each
// process running one (jobrequest.Kill).
func kill(cmd *cobra.Command, backend contract.Backend, job string, timeout time.Duration) error {
	processes, err := liveProcesses(cmd.Context(), backend, "be killed")
	if err != nil {
		return err
	}
	running := jobrequest.Running(processes, job)
	if running == 0 {
		return kernel.WithExitCode(1, fmt.Errorf("no run of %s is in progress on the %d live cron processes: "+
			"nothing to kill", job, len(processes)))
	}
	request, confirmed, err := jobrequest.Kill(cmd.Context(), backend, job, running, timeout)
	if errors.Is(err, jobrequest.ErrTimedOut) {
		return fmt.Errorf("killing %s: %d of the %d processes running it confirmed within %s (request %s); "+
			"`cron state` shows the runs in progress", job, confirmed, running, timeout, request.ID)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "killed %s on %d process(es)\n", job, running)
	return err
}
