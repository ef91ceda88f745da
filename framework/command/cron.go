// Package command holds the framework's own commands: `cron start | stop | restart | state | list`.
package command

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// AddKernelCommands adds the framework's commands (`cron` and its subcommands) to root, a root made by
// console.NewRoot; it panics for another root, a programming error found when the program starts.
func AddKernelCommands(root *console.Root) {
	k, err := kernel.Of(root.Container)
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
		newCronPauseCommand(root, true),
		newCronPauseCommand(root, false),
		newCronKillCommand(root),
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

// cronFiles are the files of the cron processes below the application's storage folder.
type cronFiles struct {
	app      contract.App
	pidfiles pidfile.Folder // storage/runtime/cron.<pid>.pid
	log      string         // storage/log/cron.log: the structured (JSON) log of daemons
	output   string         // storage/log/cron.output.log: what daemons print, panics and crashes
}

// resolveCronFiles makes the App service (which checks the base folder) and names the cron files. It
// creates nothing.
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

// whereNothingRuns says where the pidfiles were looked for, and, when the runtime folder is missing, how
// to point at another base folder.
func (f cronFiles) whereNothingRuns() string {
	if _, err := os.Stat(f.pidfiles.Path); err != nil {
		return fmt.Sprintf("no cron runtime folder %s: no cron process ever ran with base folder %s; "+
			"point at the processes' base folder with --base-folder or %s", f.pidfiles.Path, f.app.BaseFolder(), "HADE_BASE_FOLDER")
	}
	return "no locked pidfile in " + f.pidfiles.Path
}

// describeProvider returns the line `cron state` and `cron list` print about the distributed backend of
// this command's settings: which one, where, and whether it answers; the error is the one of making the
// service (making the local backend creates nothing).
func describeProvider(cmd *cobra.Command, root *kernel.Root) (string, error) {
	if level, err := parseLogLevel(root.Settings.LogLevel); err == nil {
		newCronLogger(root, cmd.ErrOrStderr(), level) // go-redis's own messages, as JSON lines on stderr
	}
	backend, err := root.DistributedBackend(cmd.Context())
	switch {
	case err != nil:
		err = secret.ScrubError(err, root.Secrets())
		return "distributed provider: UNAVAILABLE: " + err.Error(), err
	case backend == nil:
		return "distributed provider: not used (no distributed entries)", nil
	}
	return "distributed provider: " + backend.Describe(cmd.Context()), nil
}
