package command

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/console"
)

func newCronRestartCommand(root *console.Root) *cobra.Command {
	stop := &stopOptions{}
	start := &startOptions{}
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Stop the running cron processes of this base folder, then start one daemon",
		Long: `Stop the running cron processes of this base folder (as cron stop), then start a cron daemon
(as cron start -d) with the same persistent flags and the --drain-timeout and --ready-timeout given here.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			if err := stopCron(cmd.OutOrStdout(), files, *stop); err != nil {
				return err
			}
			return startDaemon(cmd, root, daemonArgs(cmd), start.readyTimeout)
		},
	}
	stop.register(cmd)
	start.register(cmd, false)
	return cmd
}

// daemonArgs returns the `cron start -d` command line that carries the flags set on cmd's command line
// that `cron start` also has: the persistent flags and the start options.
func daemonArgs(cmd *cobra.Command) []string {
	args := []string{"cron", "start", "--daemon"}
	add := func(flag *pflag.Flag) {
		if flag.Changed {
			args = append(args, "--"+flag.Name+"="+flag.Value.String())
		}
	}
	cmd.InheritedFlags().VisitAll(add)
	for _, name := range []string{"drain-timeout", "ready-timeout"} {
		add(cmd.Flags().Lookup(name))
	}
	return args
}
