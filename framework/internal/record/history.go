package record

import (
	"context"

	"github.com/hadeframe/hade/framework/contract"
)

// Runs returns the runs query selects in history, newest first (contract.RunHistory.Runs), decoded; a
// record that does not decode (not written by this framework) is left out. Errors are history's.
func Runs(ctx context.Context, history contract.RunHistory, query contract.RunQuery) ([]Run, error) {
	stored, err := history.Runs(ctx, query)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, 0, len(stored))
	for _, s := range stored {
		if run, err := DecodeRun(s.Body); err == nil {
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
		if run, err := DecodeRun(s.Body); err == nil {
			last[job] = run
		}
	}
	return last, nil
}
