// Command testapp is the application the end-to-end tests build. It uses only the framework's public API,
// as a user's application would. TESTAPP_REGISTRATIONS picks its cron entries: "invalid" registers bad
// ones; "spawn" an every-second job that starts a shell reporting what it inherited; "stubborn" an
// every-second job that ignores its context for a minute; "patient" one that waits a minute or until its
// context ends; "hourly" an hourly distributed job; "files" an
// every-second job that creates storage/job/ (mode 0777) and storage/job/file (mode 0666), as umask allows;
// "history" a normal every-second job "tick", an every-second distributed job "every_second" (hold 1s) and
// a distributed job "slow" that runs 3s every 5s; "control" an every-second distributed job "every_second"
// (hold 1s), a distributed job "long" (on 29 February at 03:00, so never during a test: tests run it with
// `cron run`; a minute long or until its context ends, timeout 30s) and
// "catchup" (every 5s, catch-up within 20s);
// "alerts" an every-second distributed job "failing" that always fails and one "flaky" that fails on even
// seconds (both hold 1s);
// "schedule_semantics" the jobs of addTickOptionJobs, addPauseAndLimitJobs and addOverlapPolicyJobs;
// "many" TESTAPP_JOBS (default 200) every-second distributed jobs job-000… that each take
// TESTAPP_JOB_DURATION (default 100ms, or until their context ends); anything
// else one every-second distributed job. TESTAPP_EXIT_DELAY (a duration) delays the exit after the command
// returned, as a slow shutdown would. TESTAPP_HOLD (a duration, default 2s) is the hold time of the
// every-second distributed job.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework"
	_ "github.com/hadeframe/hade/framework/backend/etcd"
	_ "github.com/hadeframe/hade/framework/backend/local"
	_ "github.com/hadeframe/hade/framework/backend/postgres"
	_ "github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/command"
	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/scheduler"
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
	stubborn := &cobra.Command{Use: "stubborn", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "stubborn started")
		time.Sleep(time.Minute) // ignores cmd.Context(): only SIGKILL ends it early
		return err
	}}
	files := &cobra.Command{Use: "files", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		container, err := framework.ContainerFrom(cmd.Context())
		if err != nil {
			return err
		}
		app, err := framework.MakeAs[contract.App](container, contract.AppKey)
		if err != nil {
			return err
		}
		folder := filepath.Join(app.StorageFolder(), "job")
		if err := os.MkdirAll(folder, 0o777); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(folder, "file"), []byte("written by a job\n"), 0o666)
	}}
	patient := &cobra.Command{Use: "patient", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		select { // honours its context: a stop past the drain timeout cancels it
		case <-time.After(time.Minute):
			return nil
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		}
	}}
	root.AddCommand(tick, spawn, stubborn, files, patient)
	switch os.Getenv("TESTAPP_REGISTRATIONS") {
	case "invalid":
		root.AddCronCommand("61 * * * * *", tick)
		root.AddDistributedCronCommand("two words", "* * * * * *", tick, time.Second)
	case "spawn":
		root.AddCronCommand("* * * * * *", spawn)
	case "hourly":
		root.AddDistributedCronCommand("hourly", "0 * * * *", tick, 10*time.Second)
	case "stubborn":
		root.AddCronCommand("* * * * * *", stubborn)
	case "patient":
		root.AddCronCommand("* * * * * *", patient)
	case "files":
		root.AddCronCommand("* * * * * *", files)
	case "history":
		// a normal job, an every-second distributed job and a slow one (3s every 5s), one command twice
		slow := &cobra.Command{Use: "slow", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			select {
			case <-time.After(3 * time.Second):
				return nil
			case <-cmd.Context().Done():
				return cmd.Context().Err()
			}
		}}
		root.AddCommand(slow)
		root.AddCronCommand("* * * * * *", tick)
		root.AddDistributedCronCommand("every_second", "* * * * * *", tick, time.Second)
		root.AddDistributedCronCommand("slow", "*/5 * * * * *", slow, 2*time.Second)
	case "control":
		// an every-second distributed job, a long one that never fires in a test (tests run it with `cron run`)
		// and one that catches up
		long := &cobra.Command{Use: "long", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			select {
			case <-time.After(time.Minute):
				return nil
			case <-cmd.Context().Done():
				return cmd.Context().Err()
			}
		}}
		root.AddCommand(long)
		root.AddDistributedCronCommand("every_second", "* * * * * *", tick, time.Second)
		root.AddDistributedCronCommand("long", "0 0 3 29 2 *", long, 2*time.Second, scheduler.WithTimeout(30*time.Second))
		root.AddDistributedCronCommand("catchup", "*/5 * * * * *", tick, time.Second, scheduler.WithCatchUp(20*time.Second))
	case "alerts":
		addAlertJobs(root)
	case "overlap":
		addOverlapJob(root, os.Getenv("TESTAPP_WORKLOG"))
	case "policies":
		addPolicyJobs(root)
	case "schedule_semantics":
		addTickOptionJobs(root)
		addPauseAndLimitJobs(root)
		addOverlapPolicyJobs(root)
	case "many":
		jobs, err := strconv.Atoi(os.Getenv("TESTAPP_JOBS"))
		if err != nil || jobs <= 0 {
			jobs = 200
		}
		duration, err := time.ParseDuration(os.Getenv("TESTAPP_JOB_DURATION"))
		if err != nil || duration <= 0 {
			duration = 100 * time.Millisecond
		}
		addManyJobs(root, jobs, duration)
	default:
		hold, err := time.ParseDuration(os.Getenv("TESTAPP_HOLD"))
		if err != nil {
			hold = 2 * time.Second
		}
		root.AddDistributedCronCommand("every_second", "* * * * * *", tick, hold)
	}
	err := root.Execute(context.Background())
	if delay, parseErr := time.ParseDuration(os.Getenv("TESTAPP_EXIT_DELAY")); parseErr == nil {
		time.Sleep(delay)
	}
	console.Exit(err)
}

// addAlertJobs registers the jobs of the alert tests: "failing" fails every tick, "flaky" fails on the
// ticks of even seconds; both every second, distributed, hold 1s.
func addAlertJobs(root *console.Root) {
	failing := &cobra.Command{Use: "failing", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		return errors.New("failing fails on purpose")
	}}
	flaky := &cobra.Command{Use: "flaky", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		if tick, ok := scheduler.TickFrom(cmd.Context()); ok && tick.Second()%2 == 0 {
			return fmt.Errorf("flaky fails on even seconds (tick %s)", tick.Format(time.RFC3339))
		}
		return nil
	}}
	root.AddCommand(failing, flaky)
	root.AddDistributedCronCommand("failing", "* * * * * *", failing, time.Second)
	root.AddDistributedCronCommand("flaky", "* * * * * *", flaky, time.Second)
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

// addOverlapJob registers "overlap", distributed every 2s with the default OverlapForbid, whose run works for
// 6s in 100ms units and appends one line per event to worklog: "<pid> <tick unix> <event> <unix ns>", the
// events start, work (a unit done), done (returned nil) and stop (its context ended: it did nothing more).
// It checks its context before each unit, as a job that must not overlap itself should.
func addOverlapJob(root *console.Root, worklog string) {
	overlap := &cobra.Command{Use: "overlap", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		tick, _ := scheduler.TickFrom(cmd.Context())
		note := func(event string) error {
			file, err := os.OpenFile(worklog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(file, "%d %d %s %d\n", os.Getpid(), tick.Unix(), event, time.Now().UnixNano())
			return errors.Join(err, file.Close())
		}
		if err := note("start"); err != nil {
			return err
		}
		for unit := 0; unit < 60; unit++ {
			time.Sleep(100 * time.Millisecond)
			if err := cmd.Context().Err(); err != nil {
				return errors.Join(err, note("stop"))
			}
			if err := note("work"); err != nil {
				return err
			}
		}
		return note("done")
	}}
	root.AddCommand(overlap)
	root.AddDistributedCronCommand("overlap", "*/2 * * * * *", overlap, time.Second)
}

// addPolicyJobs registers the jobs of the run policy tests, distributed, hold 1s: "timeout" every 2s with
// WithTimeout(500ms), whose run waits for its context (2s at most); "retried" every 3s with WithRetry(3,
// 300ms), whose first two attempts of each tick fail and whose third succeeds.
func addPolicyJobs(root *console.Root) {
	timeout := &cobra.Command{Use: "timeout", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		select {
		case <-time.After(2 * time.Second):
			return nil
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		}
	}}
	attempts := map[time.Time]int{} // by tick; a tick's attempts run one after the other on one process
	retried := &cobra.Command{Use: "retried", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		tick, _ := scheduler.TickFrom(cmd.Context())
		attempts[tick]++
		if attempts[tick] < 3 {
			return fmt.Errorf("attempt %d of tick %s fails on purpose", attempts[tick], tick.Format(time.RFC3339))
		}
		return nil
	}}
	root.AddCommand(timeout, retried)
	root.AddDistributedCronCommand("timeout", "*/2 * * * * *", timeout, time.Second, scheduler.WithTimeout(500*time.Millisecond))
	root.AddDistributedCronCommand("retried", "*/3 * * * * *", retried, time.Second, scheduler.WithRetry(3, 300*time.Millisecond))
}

// addTickOptionJobs registers three every-second distributed jobs with the options that change their
// ticks: "jittered" (WithJitter 600ms), "excluding" (every third second excluded) and "window" (from
// TESTAPP_WINDOW_START until TESTAPP_WINDOW_END, RFC 3339, which every process is given alike).
func addTickOptionJobs(root *console.Root) {
	tick := func(use string) *cobra.Command {
		return &cobra.Command{Use: use, Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	}
	jittered, excluding, window := tick("jittered"), tick("excluding"), tick("window")
	root.AddCommand(jittered, excluding, window)
	root.AddDistributedCronCommand("jittered", "* * * * * *", jittered, time.Second,
		scheduler.WithJitter(600*time.Millisecond))
	root.AddDistributedCronCommand("excluding", "* * * * * *", excluding, time.Second,
		scheduler.WithExclude("*/3 * * * * *"))
	start, startErr := time.Parse(time.RFC3339, os.Getenv("TESTAPP_WINDOW_START"))
	end, endErr := time.Parse(time.RFC3339, os.Getenv("TESTAPP_WINDOW_END"))
	if startErr == nil && endErr == nil {
		root.AddDistributedCronCommand("window", "* * * * * *", window, time.Second, scheduler.WithStartAt(start),
			scheduler.WithEndAt(end))
	}
}

// addPauseAndLimitJobs registers the every-second distributed jobs "fragile" (always fails, with
// WithPauseOnFailure), "steady" (succeeds) and "limited" (succeeds, WithLimitedRuns(3)).
func addPauseAndLimitJobs(root *console.Root) {
	fragile := &cobra.Command{Use: "fragile", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		return errors.New("the upstream answered 503")
	}}
	steady := &cobra.Command{Use: "steady", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	limited := &cobra.Command{Use: "limited", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	root.AddCommand(fragile, steady, limited)
	root.AddDistributedCronCommand("fragile", "* * * * * *", fragile, time.Second, scheduler.WithPauseOnFailure())
	root.AddDistributedCronCommand("steady", "* * * * * *", steady, time.Second)
	root.AddDistributedCronCommand("limited", "* * * * * *", limited, time.Second, scheduler.WithLimitedRuns(3))
}

// addOverlapPolicyJobs registers the distributed jobs "queued" (every second, OverlapBufferAll, runs
// 1.5 s), "replaced" (every 2 s, OverlapCancelOther, runs 10 s unless cancelled) and "terminated" (every
// 2 s, OverlapTerminateOther, runs 3 s ignoring its context).
func addOverlapPolicyJobs(root *console.Root) {
	sleeping := func(use string, d time.Duration) *cobra.Command {
		return &cobra.Command{Use: use, Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
			select {
			case <-time.After(d):
				return nil
			case <-cmd.Context().Done():
				return cmd.Context().Err()
			}
		}}
	}
	queued, replaced := sleeping("queued", 1500*time.Millisecond), sleeping("replaced", 10*time.Second)
	terminated := &cobra.Command{Use: "terminated", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		time.Sleep(3 * time.Second) // ignores its context
		return nil
	}}
	root.AddCommand(queued, replaced, terminated)
	root.AddDistributedCronCommand("terminated", "*/2 * * * * *", terminated, time.Second,
		scheduler.WithOverlap(scheduler.OverlapTerminateOther))
	root.AddDistributedCronCommand("queued", "* * * * * *", queued, time.Second,
		scheduler.WithOverlap(scheduler.OverlapBufferAll))
	root.AddDistributedCronCommand("replaced", "*/2 * * * * *", replaced, time.Second,
		scheduler.WithOverlap(scheduler.OverlapCancelOther))
}
