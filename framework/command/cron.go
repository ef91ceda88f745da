// Package command holds the framework's own commands: `cron start | stop | restart | state | list`.
package command

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/pidfile"
	"github.com/hadeframe/hade/framework/provider/distributed"
	"github.com/hadeframe/hade/framework/scheduler"
)

// AddKernelCommands adds the framework's commands to root.
func AddKernelCommands(root *console.Root) {
	root.AddCommand(newCronCommand(root))
}

func newCronCommand(root *console.Root) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cron",
		Short: "Run and control the cron scheduler of this application",
		Long: `Run and control the cron scheduler. Several cron processes may share one base folder (and one
host, or one Redis): each has its own pidfile in storage/runtime, and each tick of a distributed entry runs
on exactly one of them.`,
	}
	cmd.AddCommand(
		newCronStartCommand(root),
		newCronStopCommand(root),
		newCronRestartCommand(root),
		newCronStateCommand(root),
		newCronListCommand(root),
	)
	return cmd
}

// cronFiles are the files of the cron processes below the application's storage folder.
type cronFiles struct {
	app      contract.App
	pidfiles pidfile.Folder // storage/runtime/cron.<pid>.pid
	log      string         // storage/log/cron.log: the structured (JSON) log of daemons
	output   string         // storage/log/cron.output.log: what daemons print, panics and crashes
}

// resolveCronFiles makes the App service (which checks the base folder) and names the cron files.
func resolveCronFiles(cmd *cobra.Command) (cronFiles, error) {
	container, err := framework.ContainerFrom(cmd.Context())
	if err != nil {
		return cronFiles{}, err
	}
	app, err := framework.MakeAs[contract.App](container, contract.AppKey)
	if err != nil {
		return cronFiles{}, err
	}
	return cronFiles{
		app:      app,
		pidfiles: pidfile.Folder{Path: app.RuntimeFolder(), Prefix: "cron"},
		log:      filepath.Join(app.LogFolder(), "cron.log"),
		output:   filepath.Join(app.LogFolder(), "cron.output.log"),
	}, nil
}

// makeLogFolder creates storage/log (mode 0750) if missing; pidfile.Folder.Acquire creates
// storage/runtime itself.
func (f cronFiles) makeLogFolder() error {
	if err := os.MkdirAll(f.app.LogFolder(), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", f.app.LogFolder(), err)
	}
	return nil
}

// distributedService makes the Distributed service when some entry needs it, and nil otherwise.
func distributedService(cmd *cobra.Command, root *console.Root) (contract.Distributed, error) {
	needed := false
	for _, spec := range root.Scheduler.CronSpecs {
		needed = needed || spec.Type == scheduler.Distributed
	}
	if !needed {
		return nil, nil
	}
	container, err := framework.ContainerFrom(cmd.Context())
	if err != nil {
		return nil, err
	}
	return framework.MakeAs[contract.Distributed](container, contract.DistributedKey)
}

// describeProvider returns the line `cron state` and `cron list` print about the distributed backend:
// which one, where, and whether it answers; the error is the one of making the service.
func describeProvider(cmd *cobra.Command, root *console.Root) (string, error) {
	selector, err := distributedService(cmd, root)
	switch {
	case err != nil:
		return "distributed provider: UNAVAILABLE: " + err.Error(), err
	case selector == nil:
		return "distributed provider: not used (no distributed entries)", nil
	}
	if describer, ok := selector.(distributed.Describer); ok {
		return "distributed provider: " + describer.Describe(cmd.Context()), nil
	}
	return fmt.Sprintf("distributed provider: %T", selector), nil
}
