package command

import (
	"fmt"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/order"
)

func newCronPauseCommand(root *kernel.Root, paused bool) *cobra.Command {
	use, short, long := "pause JOB", "Pause a job on every cron process of the cluster, until `cron resume`",
		`Pause JOB for every cron process sharing this command's backend, persistently (across restarts) until
`+"`cron resume JOB`"+`. Each process learns it at its next heartbeat (within a second); the job's ticks are
then skipped and recorded with outcome "paused", and its schedule keeps advancing, so a resume runs no
backlog. A run in progress goes on (`+"`cron kill`"+` ends it). --note says why (at most 1024 bytes); by
default the note names the user and host that paused it. cron list, cron state, the status page and the
paused ticks' records show the note. Pausing a paused job replaces its note.`
	if !paused {
		use, short, long = "resume JOB", "Resume a paused job on every cron process of the cluster",
			`Resume JOB for every cron process sharing this command's backend: each process runs its ticks again
from its next heartbeat (within a second), from the next tick on (the ticks while paused are not run). Its
pause note is dropped.`
	}
	var note string
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long,
		Annotations: operation,
		Args:        cobra.ExactArgs(1),
		RunE: controlRunE(root, func(cmd *cobra.Command, backend contract.Backend, job string) error {
			if paused && note == "" {
				note = defaultPauseNote()
			}
			if err := backend.SetPaused(cmd.Context(), job, paused, note); err != nil {
				return err
			}
			var err error
			if paused {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "paused %s (note: %s): every cron process skips its ticks (outcome paused) from its next heartbeat; `cron resume %s` resumes it\n", job, note, job)
			} else {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "resumed %s: every cron process runs its ticks again from its next heartbeat\n", job)
			}
			return err
		}),
	}
	if paused {
		cmd.Flags().StringVar(&note, "note", "", "why the job is paused (at most 1024 bytes); default: who paused it, where")
		cmd.PreRunE = func(*cobra.Command, []string) error {
			if err := order.CheckPauseNote(note); err != nil {
				return fmt.Errorf("--note: %w", err)
			}
			return nil
		}
	}
	return cmd
}

// defaultPauseNote names who paused a job without --note: "paused by USER on HOST with cron pause".
func defaultPauseNote() string {
	who := "an unknown user"
	if current, err := user.Current(); err == nil {
		who = current.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "an unknown host"
	}
	return fmt.Sprintf("paused by %s on %s with cron pause", who, host)
}
