package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/supervisor"
)

// clusterProcesses returns the live cron processes registered in the backend of this command's settings.
func clusterProcesses(cmd *cobra.Command, root *kernel.Root) ([]record.Process, error) {
	backend, err := root.ReadBackend(cmd.Context())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	return record.Processes(ctx, backend)
}

// ownFolder reports whether p is a process of this host and base folder.
func ownFolder(p record.Process, files supervisor.Files) bool {
	hostname, err := os.Hostname()
	return err == nil && p.Hostname == hostname && p.BaseFolder == files.App.BaseFolder()
}

// printCluster prints the registered processes (this base folder's marked with *) and their runs in
// progress, or why they cannot be read.
func printCluster(out io.Writer, processes []record.Process, err error, files supervisor.Files,
	now time.Time) error {
	if err != nil {
		_, err = fmt.Fprintf(out, "cluster: UNAVAILABLE: %v\n", err)
		return err
	}
	fmt.Fprintf(out, "cluster: %d cron process(es) registered in the backend (* this base folder)\n", len(processes))
	if len(processes) == 0 {
		return nil
	}
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "\tHOST\tPID\tAPP ID\tBASE FOLDER\tVERSION\tSTARTED\tHEARTBEAT\tRUNNING\tRECORDS LOST")
	var runs []runningOn
	for _, p := range processes {
		mark := ""
		if ownFolder(p, files) {
			mark = "*"
		}
		fmt.Fprintf(table, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s ago\t%d\t%d\n", mark, p.Hostname, p.PID, shortID(p.AppID),
			p.BaseFolder, p.Version, p.Started.Local().Format(time.RFC3339), now.Sub(p.Heartbeat).Round(100*time.Millisecond),
			len(p.Running), p.LostRecords)
		for _, r := range p.Running {
			runs = append(runs, runningOn{r, p})
		}
	}
	if err := table.Flush(); err != nil {
		return err
	}
	return printRunning(out, runs, now)
}

// runningOn is a run in progress and the process running it.
type runningOn struct {
	run     record.RunningTick
	process record.Process
}

// printRunning prints the runs in progress of the cluster, the oldest first.
func printRunning(out io.Writer, runs []runningOn, now time.Time) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(out, "runs in progress: none")
		return err
	}
	sort.Slice(runs, func(i, k int) bool { return runs[i].run.Since.Before(runs[k].run.Since) })
	fmt.Fprintln(out, "runs in progress:")
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "JOB\tTICK\tHOST\tPID\tSINCE")
	for _, r := range runs {
		fmt.Fprintf(table, "%s\t%s\t%s\t%d\t%s (%s)\n", r.run.Job, r.run.Tick.Local().Format(time.RFC3339), r.process.Hostname,
			r.process.PID, r.run.Since.Local().Format(time.RFC3339), now.Sub(r.run.Since).Round(100*time.Millisecond))
	}
	return table.Flush()
}

// jsonProcess is a registered process as `cron state --output json` prints it.
type jsonProcess struct {
	AppID       string        `json:"app_id"`
	Hostname    string        `json:"hostname"`
	PID         int           `json:"pid"`
	BaseFolder  string        `json:"base_folder"`
	ThisFolder  bool          `json:"this_base_folder"`
	Provider    string        `json:"provider"`
	Version     string        `json:"version"`
	Started     string        `json:"started"`
	Heartbeat   string        `json:"heartbeat"`
	Running     []jsonRunning `json:"running"`
	LostRecords int64         `json:"records_lost"`
}

// jsonRunning is a run in progress.
type jsonRunning struct {
	Job   string `json:"job"`
	Tick  string `json:"tick"`
	Since string `json:"since"`
}

func toJSONProcesses(processes []record.Process, files supervisor.Files) []jsonProcess {
	out := make([]jsonProcess, 0, len(processes))
	for _, p := range processes {
		j := jsonProcess{AppID: p.AppID, Hostname: p.Hostname, PID: p.PID, BaseFolder: p.BaseFolder,
			ThisFolder: ownFolder(p, files), Provider: p.Provider, Version: p.Version, Started: rfc3339(p.Started),
			Heartbeat: rfc3339(p.Heartbeat), Running: []jsonRunning{}, LostRecords: p.LostRecords}
		for _, r := range p.Running {
			j.Running = append(j.Running, jsonRunning{Job: r.Job, Tick: rfc3339(r.Tick), Since: rfc3339(r.Since)})
		}
		out = append(out, j)
	}
	return out
}
