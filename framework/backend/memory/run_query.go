package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// Runs implements contract.RunHistory.Runs: copies of the records query selects, newest first (by tick,
// then the later appended), none whose tick is older than the client's retention.MaxAge by the Store's clock.
// query.Since selects ticks at or after it, and "missed" records whose LastTick is. It returns an error for
// a negative query.Limit, a wrapped ctx error when ctx has ended, and an error when the client is closed.
func (c *client) Runs(ctx context.Context, query contract.RunQuery) ([]contract.RunRecord, error) {
	if query.Limit < 0 {
		return nil, fmt.Errorf("run history: limit %d: it must be 0 (no limit) or more", query.Limit)
	}
	if err := c.begin(ctx, "run history: read runs"); err != nil {
		return nil, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	cutoff := now.Add(-c.retention.MaxAge)
	jobs := s.history
	if query.Job != "" {
		jobs = map[string][]run{query.Job: s.history[query.Job]}
	}
	var selected []run
	for _, runs := range jobs {
		for _, r := range runs {
			if selects(query, cutoff, r.record) {
				selected = append(selected, r)
			}
		}
	}
	slices.SortFunc(selected, newerFirst)
	if query.Limit > 0 && len(selected) > query.Limit {
		selected = selected[:query.Limit]
	}
	var records []contract.RunRecord
	for _, r := range selected {
		records = append(records, copyRun(r.record))
	}
	return records, nil
}

// selects reports whether query selects record, a record of query.Job when it is set, and cutoff (the
// oldest tick kept) keeps it.
func selects(query contract.RunQuery, cutoff time.Time, record contract.RunRecord) bool {
	since := query.Since.IsZero() || !record.Tick.Before(query.Since) || !record.LastTick.Before(query.Since)
	return since && !record.Tick.Before(cutoff) && (query.Outcome == "" || record.Outcome == query.Outcome)
}

// LastRuns implements contract.RunHistory.LastRuns: a copy of the newest record of each of jobs (as Runs orders
// them, "missed" included, none older than the client's retention.MaxAge), keyed by job; a job without one is absent.
// Errors as Runs'.
func (c *client) LastRuns(ctx context.Context, jobs []string) (map[string]contract.RunRecord, error) {
	if err := c.begin(ctx, "run history: read the last runs"); err != nil {
		return nil, err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	cutoff := now.Add(-c.retention.MaxAge)
	last := make(map[string]contract.RunRecord, len(jobs))
	for _, job := range jobs {
		if runs := s.history[job]; len(runs) > 0 && !runs[0].record.Tick.Before(cutoff) {
			last[job] = copyRun(runs[0].record)
		}
	}
	return last, nil
}

// copyRun returns r with a copy of its body, so that no caller shares the Store's.
func copyRun(r contract.RunRecord) contract.RunRecord {
	r.Body = slices.Clone(r.Body)
	return r
}
