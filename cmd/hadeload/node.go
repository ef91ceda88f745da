package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	_ "github.com/hadeframe/hade/framework/backend/etcd"
	_ "github.com/hadeframe/hade/framework/backend/local"
	_ "github.com/hadeframe/hade/framework/backend/postgres"
	_ "github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/command"
	"github.com/hadeframe/hade/framework/console"
)

// Environment of a node: how many jobs it registers, their hold time, and where to write a CPU profile
// (optional; set it by hand to profile a node).
const (
	envJobs       = "HADELOAD_JOBS"
	envHold       = "HADELOAD_HOLD"
	envJobTime    = "HADELOAD_JOB_DURATION"
	envCPUProfile = "HADELOAD_CPU_PROFILE"
)

// positiveEnv returns the whole number above 0 in the environment variable name.
func positiveEnv(name string) (int, error) {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a whole number above 0", name, os.Getenv(name))
	}
	return n, nil
}

// jobName names bench job i; it is also its service name.
func jobName(i int) string { return fmt.Sprintf("job-%05d", i) }

// work is a job's body: it returns after duration (at once for 0), or with ctx's error when ctx ends first.
func work(ctx context.Context, duration time.Duration) error {
	if duration == 0 {
		return nil
	}
	timer := time.NewTimer(duration)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runNode is the bench app, written as a user would with the framework's public API: M distributed
// every-second jobs whose bodies take HADELOAD_JOB_DURATION (0: instant), each its own command, and the framework's commands; args are its
// command line (e.g. --distributed redis cron start).
func runNode(args []string) error {
	jobs, err := strconv.Atoi(os.Getenv(envJobs))
	if err != nil || jobs < 1 {
		return fmt.Errorf("%s=%q: want a positive number of jobs", envJobs, os.Getenv(envJobs))
	}
	hold, err := time.ParseDuration(os.Getenv(envHold))
	if err != nil {
		return fmt.Errorf("%s=%q: want a duration such as 2s", envHold, os.Getenv(envHold))
	}
	duration, err := time.ParseDuration(os.Getenv(envJobTime))
	if err != nil || duration < 0 {
		return fmt.Errorf("%s=%q: want a duration >= 0 such as 100ms", envJobTime, os.Getenv(envJobTime))
	}
	root := console.NewRoot("hadeload-node", "bench app of hadeload")
	command.AddKernelCommands(root)
	for i := 0; i < jobs; i++ {
		job := &cobra.Command{Use: jobName(i), RunE: func(cmd *cobra.Command, _ []string) error { return work(cmd.Context(), duration) }}
		root.AddCommand(job)
		root.AddDistributedCronCommand(jobName(i), "* * * * * *", job, hold)
	}
	stopProfile, err := startCPUProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	root.SetArgs(args)
	return root.Execute(context.Background())
}

// startCPUProfile starts a CPU profile at 1000 Hz (a tick burst lasts milliseconds) into
// $HADELOAD_CPU_PROFILE.<pid> when that variable is set; the returned function stops it.
func startCPUProfile() (stop func(), err error) {
	path := os.Getenv(envCPUProfile)
	if path == "" {
		return func() {}, nil
	}
	file, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
	if err != nil {
		return nil, err
	}
	runtime.SetCPUProfileRate(1000)
	if err := pprof.StartCPUProfile(file); err != nil {
		return nil, errors.Join(err, file.Close())
	}
	return func() {
		pprof.StopCPUProfile()
		if err := file.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "close the CPU profile: %v\n", err)
		}
	}, nil
}

// windowProfile is a CPU profile of a compare node's measured window: it starts at the window's first
// usage mark and stops at its second, when HADELOAD_CPU_PROFILE is set (see startCPUProfile).
type windowProfile struct{ stopProfile func() }

// atMark is the node's markRecorder's atMark.
func (p *windowProfile) atMark(n int) error {
	switch {
	case n == 1 && p.stopProfile == nil:
		stop, err := startCPUProfile()
		p.stopProfile = stop
		return err
	case n == 2:
		p.stop()
	}
	return nil
}

// stop stops the profile if it is still going; the node calls it after its marks stopped.
func (p *windowProfile) stop() {
	if p.stopProfile != nil {
		p.stopProfile()
		p.stopProfile = func() {}
	}
}
