package command

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/pidfile"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/settings"
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
	out := cmd.OutOrStdout()
	now := time.Now()
	running, stateErr := printState(out, files, now)
	own := describeOwnSettings(cmd, files)
	for _, entry := range running {
		if theirs := settings.Describe(entry.Record.Settings); theirs != own && entry.Record.Settings != nil {
			fmt.Fprintf(out, "note: pid %d uses %s; the lines below are about this command's settings (%s)\n", entry.PID, theirs, own)
		}
	}
	line, providerErr := describeProvider(cmd, root)
	processes, clusterErr := cluster(cmd, root, providerErr)
	if err := printCluster(out, processes, clusterErr, files, now); err != nil {
		return err
	}
	fmt.Fprintln(out, line)
	return stateExit(running, errors.Join(stateErr, providerErr))
}

// printJSONState prints {"this_base_folder": [...], "cluster": [...], "provider": line} and returns the
// exit status it calls for.
func printJSONState(cmd *cobra.Command, root *kernel.Root, files supervisor.Files) error {
	entries, stateErr := files.Pidfiles.List()
	local := make([]jsonPidfile, 0, len(entries))
	var running []pidfile.Entry
	for _, entry := range entries {
		local = append(local, toJSONPidfile(entry))
		if entry.Running && entry.Err == nil && entry.Foreign == "" {
			running = append(running, entry)
		}
	}
	line, providerErr := describeProvider(cmd, root)
	processes, clusterErr := cluster(cmd, root, providerErr)
	state := map[string]any{"this_base_folder": local, "cluster": toJSONProcesses(processes, files), "provider": line}
	if clusterErr != nil {
		state["cluster_error"] = clusterErr.Error()
	}
	if err := writeJSON(cmd.OutOrStdout(), state); err != nil {
		return err
	}
	return stateExit(running, errors.Join(stateErr, providerErr))
}

// cluster returns the registered processes, unless the backend already failed with providerErr (it would
// only fail again, as slowly).
func cluster(cmd *cobra.Command, root *kernel.Root, providerErr error) ([]record.Process, error) {
	if providerErr != nil {
		return nil, errors.New("the backend cannot be used (below)")
	}
	return clusterProcesses(cmd, root)
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

// jsonPidfile is a pidfile of this base folder as `cron state --output json` prints it.
type jsonPidfile struct {
	Path      string            `json:"pidfile"`
	PID       int               `json:"pid"`
	Running   bool              `json:"running"`
	Foreign   string            `json:"foreign,omitempty"`
	AppID     string            `json:"app_id,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	StartedAt string            `json:"started_at,omitempty"`
	Log       string            `json:"log,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
	Error     string            `json:"error,omitempty"`
}

func toJSONPidfile(entry pidfile.Entry) jsonPidfile {
	j := jsonPidfile{Path: entry.Path, PID: entry.PID, Running: entry.Running, Foreign: entry.Foreign}
	if entry.Err != nil {
		j.Error = entry.Err.Error()
		return j
	}
	r := entry.Record
	j.AppID, j.Mode, j.StartedAt, j.Log, j.Settings = r.AppID, r.Mode, rfc3339(r.StartedAt), r.Log, r.Settings
	return j
}

// printState prints one line per running cron process, or that none runs and where it looked; it
// returns the running entries of this pid namespace and boot, and an error naming each unreadable
// pidfile.
func printState(out io.Writer, files supervisor.Files, now time.Time) ([]pidfile.Entry, error) {
	entries, err := files.Pidfiles.List()
	if err != nil {
		return nil, err
	}
	var errs []error
	var running []pidfile.Entry
	for _, entry := range entries {
		record := entry.Record
		switch {
		case entry.Err != nil && entry.Running:
			errs = append(errs, fmt.Errorf("%w; a process holds it, find it with `fuser %s`", entry.Err, entry.Path))
		case entry.Err != nil:
			errs = append(errs, fmt.Errorf("%w; no process holds it, so it can be removed", entry.Err))
		case entry.Running && entry.Foreign != "":
			fmt.Fprintf(out, "cron process of %s, not trusted here: pid %d there, since %s, %s, %s, log %s; "+
				"it holds pidfile %s, but its pid names another process or none here\n",
				entry.Foreign, record.PID, record.StartedAt.Format(time.RFC3339), record.Mode,
				settings.Describe(record.Settings), record.Log, entry.Path)
		case entry.Running:
			running = append(running, entry)
			fmt.Fprintf(out, "cron is running: pid %d, since %s (%s ago), %s, app_id %s, %s, log %s\n",
				record.PID, record.StartedAt.Format(time.RFC3339), now.Sub(record.StartedAt).Round(time.Second),
				record.Mode, record.AppID, settings.Describe(record.Settings), record.Log)
		}
	}
	if len(running) == 0 {
		fmt.Fprintf(out, "cron is not running (%s)\n", files.WhereNothingRuns())
	}
	return running, errors.Join(errs...)
}
