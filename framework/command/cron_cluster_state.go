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

// cluster returns the live cron processes registered in the backend of this command's settings
// (report.ReadProcesses), unless the backend already failed with providerErr (it would only fail again,
// as slowly).
func cluster(cmd *cobra.Command, root *kernel.Root, providerErr error) ([]record.Process, error) {
	if providerErr != nil {
		return nil, errors.New("the backend cannot be used (below)")
	}
	backend, err := root.ReadBackend(cmd.Context())
	if err != nil {
		return nil, err
	}
	return report.ReadProcesses(cmd.Context(), backend)
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
