package command

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/settings"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

func newCronRestartCommand(root *kernel.Root) *cobra.Command {
	stop := &stopOptions{}
	start := &startOptions{}
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Stop the running cron processes of this base folder, then start one daemon with the same settings",
		Long: `Stop the running cron processes of this base folder (as cron stop), then start a cron daemon (as
cron start -d) with the settings of the running daemon that started last: its provider, Redis URL
(credentials included, read from its owner-only file storage/runtime/cron.<pid>.private), key prefix,
drain timeout and the other settings. A flag given to restart overrides that setting; the environment
does not. With no daemon running, the new one takes this command's flags and environment. With invalid
cron registrations it stops the processes and refuses to start one.`,
		Annotations: operation,
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			if err := takeDaemonSettings(cmd, files); err != nil {
				return err
			}
			if _, err := newCronHTTP(cmd); err != nil { // before anything is stopped
				return err
			}
			if err := resolveAlertWebhooks(cmd); err != nil { // before anything is stopped
				return err
			}
			if err := stopCron(cmd.Context(), cmd.OutOrStdout(), files, *stop); err != nil {
				return err
			}
			if err := root.Scheduler.Err(); err != nil {
				return fmt.Errorf("the cron processes were stopped but no daemon was started: invalid cron registrations:\n%w", err)
			}
			return startDaemon(cmd, root, *start)
		},
	}
	stop.register(cmd)
	start.register(cmd, false)
	return cmd
}

// takeDaemonSettings applies to cmd's flags not given on its command line the settings of the running
// daemon of this namespace that started last (supervisor.LatestDaemon), and says so; without a running
// daemon it changes nothing. It fails, before anything is stopped, when that daemon's settings cannot be
// read.
func takeDaemonSettings(cmd *cobra.Command, files supervisor.Files) error {
	latest, running, err := supervisor.LatestDaemon(files)
	if err != nil || !running {
		return err
	}
	out := cmd.OutOrStdout()
	if !latest.Recorded {
		fmt.Fprintf(out, "note: daemon %d recorded no settings (started by an older version): the new daemon takes "+
			"this command's flags and environment\n", latest.PID)
		return nil
	}
	notes, err := settings.Apply(cmd.Flags(), latest.Settings)
	printNotes(out, notes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "restarting with the settings of daemon %d (%s); flags given here override them\n",
		latest.PID, describeOwnSettings(cmd, files))
	return nil
}

func printNotes(out io.Writer, notes []string) {
	for _, note := range notes {
		fmt.Fprintln(out, "note: "+note)
	}
}
