// Package command holds the framework's own commands: `cron start | stop | restart | state | list`.
package command

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/cronprocess"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/settings"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// AddKernelCommands adds the framework's commands (`cron` and its subcommands) to root, a root made by
// console.NewRoot; it panics for another root, a programming error found when the program starts.
func AddKernelCommands(root *console.Root) {
	k, err := kernel.Of(root.Container())
	if err != nil {
		panic(fmt.Sprintf("command.AddKernelCommands: %v", err))
	}
	root.AddCommand(newCronCommand(k))
}

// operation marks a command that controls processes and runs no job: it runs even when cron
// registrations are invalid (see kernel.AnnotationOperation).
var operation = map[string]string{kernel.AnnotationOperation: "cron"}

func newCronCommand(root *kernel.Root) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cron",
		Short: "Run and control the cron scheduler of this application",
		Long: `Run and control the cron scheduler. Several cron processes may share one base folder (and one
host, or one Redis): each has its own pidfile in storage/runtime, and each tick of a distributed entry runs
on exactly one of them. One daemon runs per base folder unless started with --allow-another-daemon.`,
		Annotations:                operation,
		SuggestionsMinimumDistance: 2,
		Args:                       unknownSubcommand,
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newCronStartCommand(root),
		newCronStopCommand(root),
		newCronRestartCommand(root),
		newCronStateCommand(root),
		newCronListCommand(root),
		newCronHistoryCommand(root),
		newCronRunCommand(root),
		newCronBackfillCommand(root),
		newCronPauseCommand(root, true),
		newCronPauseCommand(root, false),
		newCronKillCommand(root),
		newCronMigrateCommand(root),
	)
	return cmd
}

// unknownSubcommand refuses any argument of a command that only groups subcommands, suggesting the
// nearest names.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	message := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
		message += "; did you mean " + strings.Join(suggestions, " or ") + "?"
	}
	names := []string{}
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return fmt.Errorf("%s (valid: %s)", message, strings.Join(names, ", "))
}

// resolveCronFiles makes the App service (which checks the base folder) and names the cron files. It
// creates nothing.
func resolveCronFiles(cmd *cobra.Command) (supervisor.Files, error) {
	container, err := framework.ContainerFrom(cmd.Context())
	if err != nil {
		return supervisor.Files{}, err
	}
	app, err := framework.MakeAs[contract.App](container, contract.AppKey)
	if err != nil {
		return supervisor.Files{}, err
	}
	return supervisor.NewFiles(app), nil
}

// describeOwnSettings describes the settings of cmd as a process with them would record them (see
// settings.Describe), e.g. `provider redis redis://:xxxxx@host:6379/0, key prefix "hade:"`.
func describeOwnSettings(cmd *cobra.Command, files supervisor.Files) string {
	return settings.Describe(settings.Redact(settings.Record(cmd.Flags(), files.App.BaseFolder())))
}

// describeProvider returns the line `cron state` and `cron list` print about the distributed backend of
// this command's settings and the error of making it (kernel.Root.DescribeDistributed), the backend's
// own messages going to stderr as JSON lines.
func describeProvider(cmd *cobra.Command, root *kernel.Root) (string, error) {
	if level, err := cronprocess.ParseLogLevel(root.Settings.LogLevel); err == nil {
		newCronLogger(root, cmd.ErrOrStderr(), level) // go-redis's own messages, as JSON lines on stderr
	}
	return root.DescribeDistributed(cmd.Context())
}
