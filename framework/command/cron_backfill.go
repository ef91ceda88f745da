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
	"github.com/hadeframe/hade/framework/internal/order"
)

// backfillFlags are the flags of `cron backfill`.
type backfillFlags struct {
	from, to, overlap string
	wait              bool
}

func newCronBackfillCommand(root *kernel.Root) *cobra.Command {
	var flags backfillFlags
	cmd := &cobra.Command{
		Use:   "backfill JOB --from T1 --to T2",
		Short: "Run every tick of a job in a past range, each once for the cluster",
		Long: `Run every tick of JOB's schedule in [--from, --to) (RFC 3339 times, at most 10000 ticks), oldest first,
one at a time, on exactly one live cron process sharing this command's backend, with the job's timeout and
retries; each run's line and record say origin backfill. A tick the run history shows ran (on schedule or in
an earlier backfill) or that another backfill marked is skipped, so each runs once. The backfilled ticks
take the job's run lease, waiting while another run holds it (--overlap allow runs beside it; cancel_other
and terminate_other cancel it). Without --wait it returns once a process started the backfill; with
--wait, once it ended: exit 0 when no tick failed, 1 otherwise. Exit 1, queueing nothing, for a bad range,
an unknown job or no live process.`,
		Annotations: operation,
		Args:        cobra.ExactArgs(1),
		RunE: controlRunE(root, func(cmd *cobra.Command, backend contract.Backend, job string) error {
			request, err := backfillRequest(root.Scheduler.Entries(), job, flags, time.Now())
			if err != nil {
				return kernel.WithExitCode(1, err)
			}
			if _, err := liveProcesses(cmd.Context(), backend, "backfill "+job+"; nothing was queued"); err != nil {
				return err
			}
			return startBackfill(cmd, backend, request, flags.wait)
		}),
	}
	cmd.Flags().StringVar(&flags.from, "from", "", "the first tick's earliest time, RFC 3339 (e.g. 2026-12-01T00:00:00Z); required")
	cmd.Flags().StringVar(&flags.to, "to", "", "the end of the range, excluded, RFC 3339, not after now; required")
	cmd.Flags().StringVar(&flags.overlap, "overlap", "", "overlap policy of the backfilled runs: "+
		strings.Join(order.OverlapPolicies(), ", ")+" (default: the job's)")
	cmd.Flags().BoolVar(&flags.wait, "wait", false, "wait for the last tick and exit 0 when none failed, 1 otherwise")
	return cmd
}

// backfillRequest checks flags against the entry of job among entries at now and returns the request.
func backfillRequest(entries []engine.Entry, job string, flags backfillFlags, now time.Time) (order.Request, error) {
	from, err := backfillTime("--from", flags.from)
	if err != nil {
		return order.Request{}, err
	}
	to, err := backfillTime("--to", flags.to)
	switch {
	case err != nil:
		return order.Request{}, err
	case !to.After(from):
		return order.Request{}, fmt.Errorf("--to %s is not after --from %s: give a range [from, to) of at least one tick", flags.to, flags.from)
	case to.After(now):
		return order.Request{}, fmt.Errorf("--to %s is in the future: a backfill runs past ticks (the ones to come run on schedule)", flags.to)
	case flags.overlap != "" && !slices.Contains(order.OverlapPolicies(), flags.overlap):
		return order.Request{}, fmt.Errorf("--overlap %q is not an overlap policy: valid values are %s (default: the job's)",
			flags.overlap, strings.Join(order.OverlapPolicies(), ", "))
	}
	at := slices.IndexFunc(entries, func(e engine.Entry) bool { return e.Name == job })
	if _, err := order.BackfillTicks(entries[at].Next, from, to); err != nil {
		return order.Request{}, fmt.Errorf("backfill of %s: %w", job, err)
	}
	request := order.New(job, order.Backfill)
	request.From, request.To, request.Overlap = from, to, flags.overlap
	return request, nil
}

// backfillTime parses the RFC 3339 time of flag, or returns an error naming it.
func backfillTime(flag, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, fmt.Errorf("%s is required: an RFC 3339 time, e.g. 2026-12-01T00:00:00Z", flag)
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z): %w", flag, value, err)
	}
	return t, nil
}

// startBackfill sends request, waits for a process to start it and, with wait, for its end.
func startBackfill(cmd *cobra.Command, control contract.JobControl, request order.Request, wait bool) error {
	what := fmt.Sprintf("backfill of %s from %s to %s", request.Job, request.From.Format(time.RFC3339),
		request.To.Format(time.RFC3339))
	ended, err := sendRequest(cmd, control, request, what, wait)
	if err == nil && wait && ended.Outcome != "ok" {
		return kernel.WithReportedExitCode(1, fmt.Errorf("%s ended: %s", what, ended.Outcome))
	}
	return err
}
