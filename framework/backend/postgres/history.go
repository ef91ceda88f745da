package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// ageTrimInterval is how often a client deletes the records older than the retention's age; reads skip
// them in between.
const ageTrimInterval = time.Minute

// AppendRuns implements contract.RunHistory.AppendRuns in one append_runs call: it stores records in
// their order and trims each job of the batch to the retention's PerJob newest records, and, once a
// minute per client, every record whose tick is older than the retention's MaxAge by the server's clock.
// It returns an error for a record without a job, ctx's error when ctx ends first, and an error naming
// postgres when the call fails; then nothing is stored.
func (p *pgBackend) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	if len(records) == 0 {
		return nil
	}
	jobs, outcomes, bodies := make([]string, len(records)), make([]string, len(records)), make([][]byte, len(records))
	ticks, lastTicks := make([]time.Time, len(records)), make([]time.Time, len(records))
	for i, r := range records {
		if r.Job == "" {
			return fmt.Errorf("run history: record %d of %d (tick %s) has no job name", i, len(records),
				rules.FormatTime(r.Tick))
		}
		jobs[i], outcomes[i], bodies[i], ticks[i], lastTicks[i] = r.Job, string(r.Outcome), nonNil(r.Body), r.Tick,
			r.LastTick
		if r.LastTick.IsZero() {
			lastTicks[i] = r.Tick
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	trimAge := p.ageTrimDue()
	_, err := p.pool.Exec(ctx, p.sql.appendRuns, jobs, ticks, lastTicks, outcomes, bodies,
		p.retention.PerJob, p.retention.MaxAge.Microseconds(), trimAge)
	if err != nil {
		return p.fail(fmt.Sprintf("run history: %d records not written", len(records)), err)
	}
	return nil
}

// ageTrimDue reports whether this append is to trim the history by age, and notes that it does.
func (p *pgBackend) ageTrimDue() bool {
	p.ageTrimMu.Lock()
	defer p.ageTrimMu.Unlock()
	if now := time.Now(); now.Sub(p.lastAgeTrim) >= ageTrimInterval {
		p.lastAgeTrim = now
		return true
	}
	return false
}

// Runs implements contract.RunHistory.Runs: the records query selects, newest first (by tick, then the
// later appended), none whose tick is older than the retention's MaxAge by the server's clock; query.Since
// selects ticks at or after it, and "missed" records whose LastTick is. The index (job, tick, seq) serves
// a job's query. It returns an error for a negative query.Limit, ctx's error when ctx ends first, and an
// error naming postgres when the call fails.
func (p *pgBackend) Runs(ctx context.Context, query contract.RunQuery) ([]contract.RunRecord, error) {
	if query.Limit < 0 {
		return nil, fmt.Errorf("run history: limit %d: it must be 0 (no limit) or more", query.Limit)
	}
	var since *time.Time
	if !query.Since.IsZero() {
		since = &query.Since
	}
	var limit *int
	if query.Limit > 0 {
		limit = &query.Limit
	}
	statement, args := p.sql.runs, []any{p.retention.MaxAge.Microseconds(), string(query.Outcome), since, limit}
	if query.Job != "" {
		statement, args = p.sql.runsOfJob, append(args, query.Job)
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, statement, args...)
	if err != nil {
		return nil, p.fail("run history: read runs", err)
	}
	records, err := pgx.CollectRows(rows, scanRun)
	if err != nil {
		return nil, p.fail("run history: read runs", err)
	}
	return records, nil
}

// LastRuns implements contract.RunHistory.LastRuns: the newest record of each of jobs (as Runs orders
// them, "missed" included, none older than the retention's MaxAge), keyed by job; a job without one is
// absent. Errors as Runs'.
func (p *pgBackend) LastRuns(ctx context.Context, jobs []string) (map[string]contract.RunRecord, error) {
	last := make(map[string]contract.RunRecord, len(jobs))
	if len(jobs) == 0 {
		return last, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, p.sql.lastRuns, jobs, p.retention.MaxAge.Microseconds())
	if err != nil {
		return nil, p.fail("run history: read the last runs", err)
	}
	records, err := pgx.CollectRows(rows, scanRun)
	if err != nil {
		return nil, p.fail("run history: read the last runs", err)
	}
	for _, r := range records {
		last[r.Job] = r
	}
	return last, nil
}

// scanRun reads a row of runs: job, tick, last_tick, outcome, body.
func scanRun(row pgx.CollectableRow) (contract.RunRecord, error) {
	var r contract.RunRecord
	var outcome string
	err := row.Scan(&r.Job, &r.Tick, &r.LastTick, &outcome, &r.Body)
	r.Outcome = contract.Outcome(outcome)
	return r, err
}

// nonNil returns body, or an empty body for nil (pgx sends nil as NULL).
func nonNil(body []byte) []byte {
	if body == nil {
		return []byte{}
	}
	return body
}
