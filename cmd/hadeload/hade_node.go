package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/command"
	"github.com/hadeframe/hade/framework/console"
)

// runHadeNode is `hadeload hade-node <hade flags> cron start`, hade's side of `hadeload compare`, written
// as a user would with the framework's public API: HADELOAD_JOBS normal (not distributed) every-second
// jobs, each a cobra command whose body does nothing, added with AddCronCommand, and the framework's
// commands. It takes usage marks (startMarks) and writes them to stdout after its log, once the command
// line (args) has run. With HADELOAD_CPU_PROFILE set it writes a CPU profile of the measured window (windowProfile).
func runHadeNode(args []string) error {
	jobs, err := positiveEnv(envJobs)
	if err != nil {
		return err
	}
	profile := windowProfile{}
	marks := startMarks(profile.atMark)
	root := console.NewRoot("hadeload-hade-node", "hade's side of hadeload compare")
	command.AddKernelCommands(root)
	for i := 0; i < jobs; i++ {
		job := &cobra.Command{Use: jobName(i), RunE: func(*cobra.Command, []string) error { return nil }}
		root.AddCommand(job)
		root.AddCronCommand("* * * * * *", job)
	}
	root.SetArgs(args)
	err = root.Execute(context.Background())
	err = errors.Join(err, marks.stop(os.Stdout)) // no mark is taken after it: then the profile is this goroutine's
	profile.stop()
	return err
}
