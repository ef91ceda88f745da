package command

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/scheduler"
)

func newCronListCommand(root *console.Root) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the registered cron entries and their next run",
		Long: `List the registered cron entries and their next run, then the distributed provider of this
command's settings and whether it answers. It exits 1 when the provider cannot be used (the table is
printed first). It creates no file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyCronZone(root); err != nil {
				return err
			}
			files, err := resolveCronFiles(cmd)
			if err != nil {
				return err
			}
			if err := printList(cmd.OutOrStdout(), root.Scheduler.CronSpecs, time.Now()); err != nil {
				return err
			}
			line, providerErr := describeProvider(cmd, root, files)
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), line); err != nil {
				return err
			}
			return providerErr
		},
	}
}

// printList prints a table of specs: type, spec, zone, command, service, hold time and next run after now.
func printList(out io.Writer, specs []scheduler.CronSpec, now time.Time) error {
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "TYPE\tSPEC\tZONE\tCOMMAND\tSERVICE\tHOLD\tNEXT RUN")
	for _, spec := range specs {
		service, hold := "-", "-"
		if spec.Type == scheduler.Distributed {
			service, hold = spec.ServiceName, spec.HoldTime.String()
		}
		next := "never"
		if at := spec.Next(now); !at.IsZero() {
			next = at.Format(time.RFC3339)
		}
		fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", spec.Type, spec.Spec, spec.Zone, spec.Command.CommandPath(), service, hold, next)
	}
	return table.Flush()
}
