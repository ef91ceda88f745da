package command

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/report"
)

// clusterState is what the backend tells of the whole cluster: the live processes and the paused jobs
// with their notes.
type clusterState struct {
	processes []record.Process
	paused    map[string]string
}

// cluster returns the live cron processes registered in the backend of this command's settings
// (report.ReadProcesses) and the paused jobs, unless the backend already failed with providerErr (it
// would only fail again, as slowly).
func cluster(cmd *cobra.Command, root *kernel.Root, providerErr error) (clusterState, error) {
	if providerErr != nil {
		return clusterState{}, errors.New("the backend cannot be used (below)")
	}
	backend, err := root.ReadBackend(cmd.Context())
	if err != nil {
		return clusterState{}, err
	}
	processes, err := report.ReadProcesses(cmd.Context(), backend)
	if err != nil {
		return clusterState{}, err
	}
	paused, err := report.ReadPaused(cmd.Context(), backend)
	return clusterState{processes: processes, paused: paused}, err
}

// printPaused prints the paused jobs of the cluster with their notes, or that none is.
func printPaused(out io.Writer, paused map[string]string) error {
	if len(paused) == 0 {
		_, err := fmt.Fprintln(out, "paused jobs: none")
		return err
	}
	fmt.Fprintln(out, "paused jobs (cron resume JOB resumes one):")
	return writeTable(out, report.PausedTable(paused))
}

// printCluster prints the registered processes (those of this host and baseFolder marked with *) and
// their runs in progress, or why they cannot be read (err).
func printCluster(out io.Writer, processes []record.Process, err error, baseFolder string,
	now time.Time) error {
	if err != nil {
		_, err = fmt.Fprintf(out, "cluster: UNAVAILABLE: %v\n", err)
		return err
	}
	fmt.Fprintf(out, "cluster: %d cron process(es) registered in the backend (* this base folder)\n", len(processes))
	if len(processes) == 0 {
		return nil
	}
	if err := writeTable(out, report.ClusterTable(processes, baseFolder, now)); err != nil {
		return err
	}
	running := report.RunningTable(processes, now)
	if len(running.Rows) == 0 {
		_, err := fmt.Fprintln(out, "runs in progress: none")
		return err
	}
	fmt.Fprintln(out, "runs in progress:")
	return writeTable(out, running)
}
