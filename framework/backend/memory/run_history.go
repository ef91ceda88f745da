package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// run is a stored run record and its sequence number: of two records with the same tick, the later
// appended is the newer.
type run struct {
	record contract.RunRecord
	seq    uint64
}

// newerFirst orders runs newest first: by tick, then sequence, each descending.
func newerFirst(a, b run) int {
	if c := b.record.Tick.Compare(a.record.Tick); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

// AppendRuns implements contract.RunHistory.AppendRuns: it stores copies of records (their bodies copied),
// keeps the newest the client's retention.PerJob of each job and drops every record whose tick is older than
// the client's retention.MaxAge by the Store's clock. It returns an error for a record without a job,
// a wrapped ctx error when ctx has ended, and an error when the client is closed; then nothing is stored.
func (c *client) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	for i, r := range records {
		if r.Job == "" {
			return fmt.Errorf("run history: record %d of %d (tick %s) has no job name", i, len(records), rules.FormatTime(r.Tick))
		}
	}
	if err := c.begin(ctx, fmt.Sprintf("run history: %d records not written", len(records))); err != nil {
		return err
	}
	s := c.store
	now := s.lock()
	defer s.mu.Unlock()
	touched := make(map[string]bool)
	for _, r := range records {
		r.Body = slices.Clone(r.Body)
		s.added++
		s.history[r.Job] = append(s.history[r.Job], run{record: r, seq: s.added})
		touched[r.Job] = true
	}
	for job := range touched {
		runs := s.history[job]
		slices.SortFunc(runs, newerFirst)
		s.history[job] = runs[:min(len(runs), c.retention.PerJob)]
	}
	s.dropOldRuns(now.Add(-c.retention.MaxAge))
	return nil
}

// dropOldRuns deletes the runs whose tick is before cutoff, and the jobs left without runs. The caller
// holds s.mu.
func (s *Store) dropOldRuns(cutoff time.Time) {
	for job, runs := range s.history {
		kept := len(runs)
		for kept > 0 && runs[kept-1].record.Tick.Before(cutoff) {
			kept--
		}
		if kept == 0 {
			delete(s.history, job)
			continue
		}
		clear(runs[kept:])
		s.history[job] = runs[:kept]
	}
}
