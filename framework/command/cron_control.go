package command

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/record"
)

// controlAction is what a job control command does with the backend of its settings (its job control and
// process registry) and its job argument, a registered job.
type controlAction func(cmd *cobra.Command, backend contract.Backend, job string) error

// controlRunE is the RunE of a job control command: it checks the job argument, makes the backend of this
// command's settings, and calls act with them.
func controlRunE(root *kernel.Root, act controlAction) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		job, err := jobArg(root, args)
		if err != nil {
			return err
		}
		backend, err := root.ReadBackend(cmd.Context())
		if err != nil {
			return err
		}
		return act(cmd, backend, job)
	}
}

// jobArg checks that args name one registered job and returns it.
func jobArg(root *kernel.Root, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("give one job name (the jobs are listed by `cron list`)")
	}
	return args[0], root.CheckJob(args[0])
}

// liveProcesses returns the registered processes, or an error saying that none is live.
func liveProcesses(ctx context.Context, registry contract.ProcessRegistry, what string) ([]record.Process, error) {
	processes, err := record.Processes(ctx, registry)
	if err != nil {
		return nil, err
	}
	if len(processes) == 0 {
		return nil, kernel.WithExitCode(1, fmt.Errorf("no cron process is running with this backend: nothing can %s "+
			"(start one with `cron start`; `cron state` lists them)", what))
	}
	return processes, nil
}
