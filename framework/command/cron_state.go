package command

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/report"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// stateNotRunning is the exit status of `cron state` when no cron process of this base folder and pid
// namespace runs, as an LSB `status` action says "program is not running".
const stateNotRunning = 3

func newCronStateCommand(root *kernel.Root) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Show the cron processes of this base folder and of the whole cluster",
		Long: `Show the cron processes of this base folder: pid, since when, mode, app id, distributed provider
(secrets redacted) and log. A process is running while it holds the lock on its pidfile, so a pidfile left
by a killed process reads as not running. A process whose pidfile was written in another pid namespace or
boot (a container sharing the folder) is listed as such and not trusted: its pid means nothing here.
Then the whole cluster, from the backend of this command's settings: every live cron process of every
host (registered with a heartbeat; a killed one drops out within 5s), those of this base folder marked,
with its runs in progress and the run records it could not write; and the backend and whether it answers.
Exit status, as an LSB status about this base folder: 0 running, 3 not running, 1 when a pidfile is
unreadable or the backend cannot be used (e.g. a wrong Redis password). It reads only and creates no file.`,
		Annotations: operation,
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			if output == outputJSON {
				return printJSONState(cmd, root, files)
			}
			return printTableState(cmd, root, files)
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// printTableState prints the state as text and returns the exit status it calls for.
func printTableState(cmd *cobra.Command, root *kernel.Root, files supervisor.Files) error {
	out, now := cmd.OutOrStdout(), time.Now()
	entries, stateErr := files.Pidfiles.List()
	if stateErr == nil {
		var lines []string
		lines, stateErr = report.LocalLines(entries, files.WhereNothingRuns(), now)
		lines = append(lines, report.SettingsNotes(report.Running(entries), describeOwnSettings(cmd, files))...)
		for _, line := range lines {
			fmt.Fprintln(out, line)
		}
	}
	line, providerErr := describeProvider(cmd, root)
	state, clusterErr := cluster(cmd, root, providerErr)
	if err := printCluster(out, state.processes, clusterErr, files.App.BaseFolder(), now); err != nil {
		return err
	}
	if clusterErr == nil {
		if err := printPaused(out, state.paused); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, line)
	return stateExit(report.Running(entries), errors.Join(stateErr, providerErr))
}

// printJSONState prints {"this_base_folder": [...], "cluster": [...], "paused": {job: note}, "provider":
// line} and returns the exit status it calls for.
func printJSONState(cmd *cobra.Command, root *kernel.Root, files supervisor.Files) error {
	entries, stateErr := files.Pidfiles.List()
	line, providerErr := describeProvider(cmd, root)
	cluster, clusterErr := cluster(cmd, root, providerErr)
	state := map[string]any{"this_base_folder": report.Pidfiles(entries),
		"cluster": report.Processes(cluster.processes, files.App.BaseFolder()), "provider": line,
		"paused": cluster.paused}
	if clusterErr != nil {
		state["cluster_error"] = clusterErr.Error()
	}
	if err := writeJSON(cmd.OutOrStdout(), state); err != nil {
		return err
	}
	return stateExit(report.Running(entries), errors.Join(stateErr, providerErr))
}

// stateExit is nil when a process of this base folder runs, exit status 3 when none does, err when set.
func stateExit(running []pidfile.Entry, err error) error {
	if err != nil {
		return err
	}
	if len(running) == 0 {
		return kernel.WithReportedExitCode(stateNotRunning, errors.New("cron is not running in this base folder"))
	}
	return nil
}
