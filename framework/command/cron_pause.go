package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/kernel"
)

func newCronPauseCommand(root *kernel.Root, paused bool) *cobra.Command {
	use, short, long := "pause JOB", "Pause a job on every cron process of the cluster, until `cron resume`",
		`Pause JOB for every cron process sharing this command's backend, persistently (across restarts) until
`+"`cron resume JOB`"+`. Each process learns it at its next heartbeat (within a second); the job's ticks are
then skipped and recorded with outcome "paused", and its schedule keeps advancing, so a resume runs no
backlog. A run in progress goes on (`+"`cron kill`"+` ends it).`
	if !paused {
		use, short, long = "resume JOB", "Resume a paused job on every cron process of the cluster",
			`Resume JOB for every cron process sharing this command's backend: each process runs its ticks again
from its next heartbeat (within a second), from the next tick on (the ticks while paused are not run).`
	}
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		Annotations: operation,
		Args:        cobra.ExactArgs(1),
		RunE: controlRunE(root, func(cmd *cobra.Command, backend contract.Backend, job string) error {
			if err := backend.SetPaused(cmd.Context(), job, paused); err != nil {
				return err
			}
			var err error
			if paused {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "paused %s: every cron process skips its ticks (outcome paused) from its next heartbeat; `cron resume %s` resumes it\n", job, job)
			} else {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "resumed %s: every cron process runs its ticks again from its next heartbeat\n", job)
			}
			return err
		}),
	}
}
