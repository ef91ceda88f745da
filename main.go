// Command hade is the example application: a web framework skeleton whose binary is also its operations
// CLI, e.g. `hade cron start`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hadeframe/hade/app/console"
)

func main() {
	if err := console.RunCommand(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
