package report

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/engine"
	"github.com/hadeframe/hade/framework/internal/record"
)

// readTimeout bounds the reads of the backend of a read command (ReadJobStates, ReadProcesses).
const readTimeout = 5 * time.Second

// JobStates are what `cron list` shows of each job from the backend, by job name: its last recorded run
// and, when it is paused, its pause note ("" for none). The zero value knows of no run and no pause.
type JobStates struct {
	Last   map[string]record.Run
	Paused map[string]string
	Ran    map[string]int // by job: the runs the backend counted of a job with WithLimitedRuns
	// Buffered is, by job, the ticks waiting in its queue as the live processes last saw them (the most any
	// saw); jobs with none are left out.
	Buffered map[string]int
}

// BufferedTicks returns, by job, the most ticks waiting in its queue that any of processes saw.
func BufferedTicks(processes []record.Process) map[string]int {
	counts := map[string]int{}
	for _, process := range processes {
		for job, n := range process.Buffered {
			counts[job] = max(counts[job], n)
		}
	}
	return counts
}

// ReadJobStates reads, within 5s, the paused jobs of control and the newest recorded run of each of jobs
// in history (record.LastRuns). On an error it returns the error and what it read before: no pause when
// the paused jobs cannot be read, the paused jobs but no run when the runs cannot.
func ReadJobStates(ctx context.Context, control contract.JobControl, history contract.RunHistory,
	jobs []string) (JobStates, error) {
	states := JobStates{Paused: map[string]string{}}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	paused, err := control.Paused(ctx)
	if err != nil {
		return states, err
	}
	maps.Copy(states.Paused, paused)
	states.Last, err = record.LastRuns(ctx, history, jobs)
	return states, err
}

// ReadPaused reads, within 5s, the paused jobs of control with their notes (never nil).
func ReadPaused(ctx context.Context, control contract.JobControl) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	paused, err := control.Paused(ctx)
	if paused == nil {
		paused = map[string]string{}
	}
	return paused, err
}

// PausedTable returns the rows of `cron state`'s paused jobs, sorted by job: job and note ("-" for none).
func PausedTable(paused map[string]string) Table {
	table := Table{Header: []string{"JOB", "NOTE"}}
	for _, job := range slices.Sorted(maps.Keys(paused)) {
		note := paused[job]
		if note == "" {
			note = "-"
		}
		table.add(job, note)
	}
	return table
}

// ReadRunCounts reads, within 5s, the runs the backend counted of each of specs with WithLimitedRuns
// (contract.RunLeases.CountRun with limit 0), by job name; none without such a spec.
func ReadRunCounts(ctx context.Context, leases contract.RunLeases, specs []engine.Entry) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	counts := map[string]int{}
	for _, spec := range specs {
		if spec.Limit == 0 || spec.ServiceName == "" {
			continue
		}
		count, err := RunCount(ctx, leases, spec.ServiceName)
		if err != nil {
			return counts, err
		}
		counts[spec.Name] = count
	}
	return counts, nil
}

// RunCount reads the runs the backend counted of service (contract.RunLeases.CountRun with limit 0).
func RunCount(ctx context.Context, leases contract.RunLeases, service string) (int, error) {
	count, _, err := leases.CountRun(ctx, contract.RunLease{Service: service, Tick: time.Now()}, 0)
	return count, err
}
