// Package demo holds the example application's demo commands.
package demo

import (
	"fmt"

	"github.com/spf13/cobra"
)

// FooCommand prints "execute foo command". It is a plain cobra command: `hade foo` runs it from the CLI,
// and app/console/kernel.go also schedules it as a cron job.
var FooCommand = &cobra.Command{
	Use:     "foo",
	Short:   "Print \"execute foo command\" (the cron demo job)",
	Aliases: []string{"fo", "f"},
	Example: "hade foo",
	Args:    cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "execute foo command")
		return err
	},
}
