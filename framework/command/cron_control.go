package command

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/record"
)

// controlService makes the backend of this command's settings and returns its job control and process
// registry.
func controlService(cmd *cobra.Command, root *kernel.Root) (contract.JobControl, contract.ProcessRegistry, error) {
	backend, err := root.ReadBackend(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	return backend, backend, nil
}

// controlRunE is the RunE of a job control command: it checks the job argument, makes the backend's job
// control and process registry, and calls act with them.
func controlRunE(root *kernel.Root, act func(cmd *cobra.Command, control contract.JobControl, registry contract.ProcessRegistry, job string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		job, err := jobArg(root, args)
		if err != nil {
			return err
		}
		control, registry, err := controlService(cmd, root)
		if err != nil {
			return err
		}
		return act(cmd, control, registry, job)
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
