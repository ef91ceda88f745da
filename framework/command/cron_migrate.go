package command

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/internal/kernel"
)

func newCronMigrateCommand(root *kernel.Root) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the backend's schema to this binary's version (postgres), then say where it is",
		Long: `Open the backend of this command's settings, which brings a backend that keeps a versioned schema
(postgres) to this binary's version: the missing migrations are applied in one transaction under an
advisory lock, so that many processes migrating at once apply each once. ` + "`cron start`" + ` does the same
when it starts; ` + "`cron migrate`" + ` is for operators who run DDL apart, with a role that may. A schema newer
than the binary is refused, naming both versions. Backends without a schema (local, redis, etcd) are only
checked. It prints the backend's line, as ` + "`cron list`" + ` does, and exits 1 when the backend cannot be used.`,
		Annotations: operation,
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := resolveCronFiles(cmd); err != nil { // checks the base folder
				return err
			}
			backend, err := root.ReadBackend(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "backend ready: "+backend.Describe(cmd.Context()))
			return err
		},
	}
}
