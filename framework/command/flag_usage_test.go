package command

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hadeframe/hade/framework/console"
)

// TestNoFlagUsageHasBackQuotes: pflag takes back-quoted text of a usage as the name of the flag's value
// (--etcd-dial-timeout cron list), so no usage may have one.
func TestNoFlagUsageHasBackQuotes(t *testing.T) {
	root := console.NewRoot("app", "test")
	AddKernelCommands(root)
	checked := 0
	walkCommands(root.Command, func(cmd *cobra.Command) {
		// the flags defined on cmd, persistent ones included: each flag once
		cmd.LocalFlags().VisitAll(func(flag *pflag.Flag) {
			checked++
			if strings.Contains(flag.Usage, "`") {
				t.Errorf("%s --%s: usage has a back-quote: %s", cmd.CommandPath(), flag.Name, flag.Usage)
			}
		})
	})
	if checked == 0 {
		t.Fatal("no flag checked")
	}
}

// walkCommands calls visit for cmd and every command under it.
func walkCommands(cmd *cobra.Command, visit func(*cobra.Command)) {
	visit(cmd)
	for _, child := range cmd.Commands() {
		walkCommands(child, visit)
	}
}
