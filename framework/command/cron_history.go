package command

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/kernel"
	"github.com/hadeframe/hade/framework/internal/record"
	"github.com/hadeframe/hade/framework/internal/report"
	"github.com/hadeframe/hade/framework/internal/secret"
)

// historyOptions are the flags of `cron history`.
type historyOptions struct {
	limit   int
	since   time.Duration
	outcome string
	output  string
}

func newCronHistoryCommand(root *kernel.Root) *cobra.Command {
	var options historyOptions
	cmd := &cobra.Command{
		Use:   "history [JOB]",
		Short: "Show the recorded runs of every job, or of one, newest first",
		Long: `Show the runs recorded by every cron process sharing this command's backend (the local
database in storage/runtime, Redis, etcd or PostgreSQL), newest first: by tick, then the latest recorded. A record is
one tick a process handled (every outcome but not_selected), or "missed": ticks of a distributed job no
process ran. It reads only, works while no cron process runs, and exits 1 when the backend cannot be read.`,
		Annotations: operation,
		Args:        cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			query, err := options.query(root, args, time.Now())
			if err != nil {
				return err
			}
			history, err := root.ReadBackend(cmd.Context())
			if err != nil {
				return err
			}
			records, err := record.Runs(cmd.Context(), history, query)
			if err != nil {
				return secret.ScrubError(err, root.Secrets())
			}
			if options.output == outputJSON {
				return writeJSON(cmd.OutOrStdout(), report.Runs(records))
			}
			if len(records) == 0 {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "no run recorded")
				return err
			}
			return writeTable(cmd.OutOrStdout(), report.HistoryTable(records))
		},
	}
	cmd.Flags().IntVarP(&options.limit, "limit", "n", 20, "show at most this many runs, the newest (0: all kept)")
	cmd.Flags().DurationVar(&options.since, "since", 0, "show only ticks of this long ago or later, e.g. 24h (0: all)")
	cmd.Flags().StringVar(&options.outcome, "outcome", "", "show only this outcome: "+strings.Join(engine.RecordedOutcomes(), ", "))
	addOutputFlag(cmd, &options.output)
	return cmd
}

// query checks the flags and the job argument and returns the query they ask for.
func (o historyOptions) query(root *kernel.Root, args []string, now time.Time) (contract.RunQuery, error) {
	query := contract.RunQuery{Outcome: contract.Outcome(o.outcome), Limit: o.limit}
	switch {
	case o.limit < 0:
		return query, fmt.Errorf("--limit %d is negative: give a number of runs, or 0 for all", o.limit)
	case o.since < 0:
		return query, fmt.Errorf("--since %s is negative: give how far back to look, e.g. 24h", o.since)
	case o.outcome != "" && !slices.Contains(engine.RecordedOutcomes(), o.outcome):
		return query, fmt.Errorf("--outcome %q is not an outcome: valid values are %s", o.outcome, strings.Join(engine.RecordedOutcomes(), ", "))
	}
	if err := checkOutput(o.output); err != nil {
		return query, err
	}
	if len(args) == 1 {
		if err := root.CheckJob(args[0]); err != nil {
			return query, err
		}
		query.Job = args[0]
	}
	if o.since > 0 {
		query.Since = now.Add(-o.since)
	}
	return query, nil
}
