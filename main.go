// Command hade is the example application: a web framework skeleton whose binary is also its operations
// CLI, e.g. `hade cron start`.
package main

import (
	"context"

	"github.com/hadeframe/hade/app/console"
	frameworkconsole "github.com/hadeframe/hade/framework/console"
)

func main() {
	frameworkconsole.Exit(console.RunCommand(context.Background()))
}
