// Command testapp is the application the end-to-end tests build. It uses only the framework's public API,
// as a user's application would. TESTAPP_REGISTRATIONS picks its cron entries: "invalid" registers bad
// ones; "spawn" an every-second job that starts a shell reporting what it inherited; "many" 200
// every-second distributed jobs that each take 100ms (or until their context ends); anything else one
// every-second distributed job.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/command"
	"github.com/hadeframe/hade/framework/console"
)

func main() {
	root := console.NewRoot("testapp", "end-to-end test application")
	command.AddKernelCommands(root)
	tick := &cobra.Command{Use: "tick", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "tick")
		return err
	}}
	spawn := &cobra.Command{Use: "spawn", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		// reports what a process started by a job inherits: the daemon marker and open descriptors
		shell := exec.CommandContext(cmd.Context(), "/bin/sh", "-c",
			`echo "marker=[$_GO_DAEMON]"; echo fds-begin; for fd in /proc/$$/fd/*; do echo "${fd##*/} $(readlink "$fd")"; done; echo fds-end`)
		shell.Stdout = cmd.OutOrStdout()
		return shell.Run()
	}}
	root.AddCommand(tick, spawn)
	switch os.Getenv("TESTAPP_REGISTRATIONS") {
	case "invalid":
		root.AddCronCommand("61 * * * * *", tick)
		root.AddDistributedCronCommand("two words", "* * * * * *", tick, time.Second)
	case "spawn":
		root.AddCronCommand("* * * * * *", spawn)
	case "many":
		addManyJobs(root, 200, 100*time.Millisecond)
	default:
		root.AddDistributedCronCommand("every_second", "* * * * * *", tick, 2*time.Second)
	}
	if err := root.Execute(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// addManyJobs registers jobs distributed every-second jobs, each its own command, that take duration or
// return their context's error when it ends first.
func addManyJobs(root *console.Root, jobs int, duration time.Duration) {
	for i := 0; i < jobs; i++ {
		job := &cobra.Command{Use: fmt.Sprintf("job-%03d", i), Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			select {
			case <-time.After(duration):
				return nil
			case <-cmd.Context().Done():
				return cmd.Context().Err()
			}
		}}
		root.AddCommand(job)
		root.AddDistributedCronCommand(job.Name(), "* * * * * *", job, 2*time.Second)
	}
}
