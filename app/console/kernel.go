// Package console is the example application's command kernel: it builds the root command, adds the
// framework's commands and the application's own.
package console

import (
	"context"
	"time"

	"github.com/hadeframe/hade/app/console/command/demo"
	"github.com/hadeframe/hade/framework/command"
	"github.com/hadeframe/hade/framework/console"

	// The backends --distributed may name: each registers itself when imported, and only the imported
	// ones are linked (local alone links no go-redis, gRPC or etcd client).
	_ "github.com/hadeframe/hade/framework/backend/etcd"
	_ "github.com/hadeframe/hade/framework/backend/local"
	_ "github.com/hadeframe/hade/framework/backend/postgres"
	_ "github.com/hadeframe/hade/framework/backend/redis"
)

// RunCommand builds the `hade` root command and executes os.Args[1:] with ctx.
func RunCommand(ctx context.Context) error {
	root := console.NewRoot("hade", "hade: a web framework skeleton whose binary is also its operations CLI")
	command.AddKernelCommands(root)
	AddAppCommand(root)
	return root.Execute(ctx)
}

// AddAppCommand adds the application's commands and cron jobs: one line per job.
func AddAppCommand(root *console.Root) {
	root.AddCommand(demo.FooCommand)

	// Run foo every second on every cron process.
	root.AddCronCommand("* * * * * *", demo.FooCommand)
	// Run foo every 5 seconds on exactly one of the cron processes sharing the distributed backend;
	// a process may claim a tick within 2s of it.
	root.AddDistributedCronCommand("foo_func_for_test", "*/5 * * * * *", demo.FooCommand, 2*time.Second)
}
