// Command localapp is the smallest hade application on the local backend alone: one cron job, the
// framework's commands and no other backend imported. framework/backend's deps test checks that it links
// no go-redis, etcd, gRPC or zap client; it is not meant to be run.
package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/command"
	"github.com/hadeframe/hade/framework/console"

	// The only backend --distributed may name.
	_ "github.com/hadeframe/hade/framework/backend/local"
)

// tick prints "tick"; the root runs it every minute under `localapp cron start`.
var tick = &cobra.Command{
	Use:   "tick",
	Short: "Print \"tick\"",
	Args:  cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "tick")
		return err
	},
}

func main() {
	root := console.NewRoot("localapp", "localapp: a hade application on the local backend alone")
	command.AddKernelCommands(root)
	root.AddCommand(tick)
	root.AddCronCommand("0 * * * * *", tick)
	console.Exit(root.Execute(context.Background()))
}
