package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// Environment of a node process of the test app, set by the tool.
const (
	envRecords  = "HADEVERIFY_RECORDS"  // the records file to append to
	envProc     = "HADEVERIFY_PROC"     // the process's name in the records
	envServices = "HADEVERIFY_SERVICES" // instant every-second services
	envSlow     = "HADEVERIFY_SLOW"     // slow every-second services (runs of slowRun)
	envHold     = "HADEVERIFY_HOLD"     // hold time of every service
	envJitter   = "HADEVERIFY_JITTER"   // WithJitter of every third instant service (0s: none)
)

// limitedService is the every-second service with WithLimitedRuns(limitedRuns) every node registers: the
// limited_runs property checks that it never runs more often, across the cluster, kills and restarts.
const (
	limitedService = "limited-00"
	limitedRuns    = 15
)

// slowRun is how long a run of a slow service takes: longer than the 1s between its ticks.
const slowRun = 1500 * time.Millisecond

// The slow services with the overlap policies that make a tick wait for the previous run or replace it
// (when there are two slow services or more): the buffered_order property checks that bufferedService
// runs its ticks in tick order, each once; no_overlap that a replaced run ends before its successor starts.
var (
	bufferedService  = slowServiceName(0) // OverlapBufferOne
	replacingService = slowServiceName(1) // OverlapCancelOther
)

// serviceName names instant service i, slowServiceName slow service i.
func serviceName(i int) string     { return fmt.Sprintf("svc-%03d", i) }
func slowServiceName(i int) string { return fmt.Sprintf("slow-%02d", i) }

// RunNode is the test app, written with the framework's public API only: every-second distributed
// services whose runs are recorded, and the framework's commands; args is its command line (e.g.
// --distributed redis cron start). Claims are recorded by a provider wrapping the configured backend.
func RunNode(args []string) error {
	services, err1 := strconv.Atoi(os.Getenv(envServices))
	slow, err2 := strconv.Atoi(os.Getenv(envSlow))
	hold, err3 := time.ParseDuration(os.Getenv(envHold))
	jitter, err4 := time.ParseDuration(os.Getenv(envJitter))
	if err := errors.Join(err1, err2, err3, err4); err != nil || os.Getenv(envRecords) == "" {
		return fmt.Errorf("node mode needs %s, %s, %s, %s (numbers, durations) and %s set by hadeverify: %v",
			envServices, envSlow, envHold, envJitter, envRecords, err)
	}
	recorder, err := openRecorder(os.Getenv(envRecords))
	if err != nil {
		return err
	}
	proc := os.Getenv(envProc)
	offset, err := clockOffset()
	if err != nil {
		return errors.Join(err, recorder.close())
	}
	root := console.NewRoot("hadeverify-node", "test app of hadeverify")
	command.AddKernelCommands(root)
	err = root.Container().Bind(recordingProvider{root: root, recorder: recorder, proc: proc, offset: offset})

	if err != nil {
		return errors.Join(err, recorder.close())
	}
	for i := 0; i < services+slow; i++ {
		name, duration := serviceName(i), time.Duration(0)
		if i >= services {
			name, duration = slowServiceName(i-services), slowRun
		}
		job := &cobra.Command{Use: name, RunE: func(cmd *cobra.Command, _ []string) error {
			return recordedRun(cmd.Context(), recorder, proc, name, duration)
		}}
		root.AddCommand(job)
		root.AddDistributedCronCommand(name, "* * * * * *", job, hold, serviceOptions(i, services, jitter)...)
	}
	limited := &cobra.Command{Use: limitedService, RunE: func(cmd *cobra.Command, _ []string) error {
		return recordedRun(cmd.Context(), recorder, proc, limitedService, 0)
	}}
	root.AddCommand(limited)
	root.AddDistributedCronCommand(limitedService, "* * * * * *", limited, hold, scheduler.WithLimitedRuns(limitedRuns))
	root.SetArgs(args)
	return errors.Join(root.Execute(context.Background()), recorder.close())
}

// recordedRun is a job body: a run_start record, duration of work (or until ctx ends), a run_end record.
func recordedRun(ctx context.Context, w *recorder, proc, service string, duration time.Duration) error {
	tick, ok := scheduler.TickFrom(ctx)
	if !ok {
		return errors.New("not a cron run: run the services through cron start")
	}
	container, err := framework.ContainerFrom(ctx)
	if err != nil {
		return err
	}
	app, err := framework.MakeAs[contract.App](container, contract.AppKey)
	if err != nil {
		return err
	}
	record := Record{Kind: kindRunStart, Proc: proc, Service: service, Tick: tick.UnixNano(), App: app.AppID()}
	record.Mono, record.Wall = stamp()
	w.write(record)
	if duration > 0 {
		timer := time.NewTimer(duration)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	record.Kind = kindRunEnd
	record.Mono, record.Wall = stamp()
	if err != nil {
		record.Error = err.Error()
	}
	w.write(record)
	return err
}

// clockOffset returns the node's clock offset in envClockOffset (0 when unset), which the framework of a
// -tags hadeclock build adds to its clock; the claims' records carry it for the checker.
func clockOffset() (time.Duration, error) {
	text := os.Getenv(envClockOffset)
	if text == "" {
		return 0, nil
	}
	offset, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a Go duration such as -700ms: %w", envClockOffset, text, err)
	}
	if offset != 0 && !clockBuild {
		return 0, fmt.Errorf("%s=%s but this binary was built without -tags hadeclock: its clock cannot be offset", envClockOffset, offset)
	}
	return offset, nil
}

// serviceOptions are the entry options of service i of services instant ones (then the slow ones): every
// third instant service gets WithJitter(jitter) when jitter is set, so the properties are checked with
// jitter too; the first slow service OverlapBufferOne, the second OverlapCancelOther.
func serviceOptions(i, services int, jitter time.Duration) []scheduler.EntryOption {
	switch {
	case jitter > 0 && i < services && i%3 == 2:
		return []scheduler.EntryOption{scheduler.WithJitter(jitter)}
	case i == services:
		return []scheduler.EntryOption{scheduler.WithOverlap(scheduler.OverlapBufferOne)}
	case i == services+1:
		return []scheduler.EntryOption{scheduler.WithOverlap(scheduler.OverlapCancelOther)}
	}
	return nil
}
