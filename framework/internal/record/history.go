package record

import (
	"context"
	"fmt"

	"github.com/hadeframe/hade/framework/contract"
)

// EncodeRun returns run as a backend stores it, its Error cut to MaxRunErrorLength bytes.
func EncodeRun(run Run) (contract.RunRecord, error) {
	return contract.RunRecord{Job: run.Job, Type: run.Type, Service: run.Service, Tick: run.Tick, AppID: run.AppID,
		Hostname: run.Hostname, PID: run.PID, Outcome: run.Outcome, Started: run.Started, Finished: run.Finished,
		Late: run.Late, Error: cutError(run.Error), Attempt: run.Attempt, Count: run.Count, LastTick: run.LastTick}, nil
}

// decodeRun is the inverse of EncodeRun; it returns an error when stored is not a run record.
func decodeRun(stored contract.RunRecord) (Run, error) {
	if stored.Job == "" {
		return Run{}, fmt.Errorf("run record of tick %s has no job", stored.Tick)
	}
	return Run{Job: stored.Job, Type: stored.Type, Service: stored.Service, Tick: stored.Tick, AppID: stored.AppID,
		Hostname: stored.Hostname, PID: stored.PID, Outcome: stored.Outcome, Started: stored.Started,
		Finished: stored.Finished, Late: stored.Late, Error: stored.Error, Attempt: stored.Attempt,
		Count: stored.Count, LastTick: stored.LastTick}, nil
}

// Runs returns the runs query selects in history, newest first (contract.RunHistory.Runs), decoded; a
// record that does not decode (not written by this framework) is left out. Errors are history's.
func Runs(ctx context.Context, history contract.RunHistory, query contract.RunQuery) ([]Run, error) {
	stored, err := history.Runs(ctx, query)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, 0, len(stored))
	for _, s := range stored {
		if run, err := decodeRun(s); err == nil {
			runs = append(runs, run)
		}
	}
	return runs, nil
}

// LastRuns returns the newest run of each of jobs that has one in history, keyed by job
// (contract.RunHistory.LastRuns), decoded; a job whose newest record does not decode is left out. Errors
// are history's.
func LastRuns(ctx context.Context, history contract.RunHistory, jobs []string) (map[string]Run, error) {
	stored, err := history.LastRuns(ctx, jobs)
	if err != nil {
		return nil, err
	}
	last := make(map[string]Run, len(stored))
	for job, s := range stored {
		if run, err := decodeRun(s); err == nil {
			last[job] = run
		}
	}
	return last, nil
}
