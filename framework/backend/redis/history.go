package redis

import (
	"cmp"
	"context"
	_ "embed" // the history scripts
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

// The run history in Redis (contract.RunHistory), under the backend's prefix:
//   - <prefix>runs:<job>: the job's records, a sorted set scored by tick (ms), each member one record
//     (see redisSeqDigits), trimmed to Retention.PerJob and Retention.MaxAge at every append, expiring
//     MaxAge after the job's last append;
//   - <prefix>runs-jobs: the jobs with records, a sorted set scored by each job's newest tick (ms);
//   - <prefix>runs-spans: a hash of each job's widest "missed" record (LastTick-Tick, ms), so a query
//     with Since reads back only that far before Since;
//   - <prefix>runs-seq: the counter of the records appended, their append order.
//
// The scripts use Redis's clock for the age, as claims do. The keys of the framework's previous record
// format (history:<job>, history-jobs, history-spans) are not read; they expire by themselves.
var (
	//go:embed history_append.lua
	historyAppendSource string
	//go:embed history_read.lua
	historyReadSource   string
	historyAppendScript = redis.NewScript(historyAppendSource)
	historyReadScript   = redis.NewScript(historyReadSource)
)

// historyKey returns the key of job's records.
func (r *redisBackend) historyKey(job string) string { return r.prefix + "runs:" + job }

func (r *redisBackend) historyJobsKey() string { return r.prefix + "runs-jobs" }

func (r *redisBackend) historySpansKey() string { return r.prefix + "runs-spans" }

func (r *redisBackend) historySeqKey() string { return r.prefix + "runs-seq" }

// historyRetention returns the retention with its defaults, or an error naming the backend.
func (r *redisBackend) historyRetention() (backend.Retention, error) {
	retention, err := r.retention.WithDefaults()
	if err != nil {
		return retention, fmt.Errorf("redis at %s db %d: %w", r.address, r.db, err)
	}
	return retention, nil
}

// callError returns ctx's error when ctx has ended, else err naming the backend and what failed.
func (r *redisBackend) callError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("redis at %s db %d: %s: %w", r.address, r.db, what, err)
}

// AppendRuns implements contract.RunHistory.AppendRuns in one script call (EVALSHA; EVAL once after Redis
// restarts), however many records and jobs: it adds the records, numbered in the order given, keeps the
// newest Retention.PerJob of each job it touches and drops those older than Retention.MaxAge (Redis's
// clock). It returns an error naming the record when a record has no job name; nothing is written then.
func (r *redisBackend) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(records) == 0 {
		return nil
	}
	retention, err := r.historyRetention()
	if err != nil {
		return err
	}
	keys, args, err := r.appendArguments(records, retention)
	if err != nil {
		return err
	}
	if err := historyAppendScript.Run(ctx, r.client, keys, args...).Err(); err != nil {
		return r.callError(ctx, fmt.Sprintf("append %d run records", len(records)), err)
	}
	return nil
}

// appendArguments returns the append script's keys and arguments for records (see
// history_append.lua).
func (r *redisBackend) appendArguments(records []contract.RunRecord, retention backend.Retention) ([]string, []any, error) {
	groups := map[string][]any{}
	spans := map[string]int64{}
	var jobs []string
	for i, record := range records {
		if record.Job == "" {
			return nil, nil, fmt.Errorf("redis at %s db %d: run record %d of %d (tick %s) has no job name",
				r.address, r.db, i+1, len(records), record.Tick.Format(time.RFC3339))
		}
		rest, err := redisRunRest(record)
		if err != nil {
			return nil, nil, fmt.Errorf("redis at %s db %d: run record of job %q: %w", r.address, r.db, record.Job, err)
		}
		if _, seen := groups[record.Job]; !seen {
			jobs = append(jobs, record.Job)
		}
		groups[record.Job] = append(groups[record.Job], redisMillis(record.Tick), i, rest)
		if record.Outcome == "missed" {
			spans[record.Job] = max(spans[record.Job], redisMillis(record.LastTick)-redisMillis(record.Tick))
		}
	}
	keys := []string{r.historyJobsKey(), r.historySpansKey(), r.historySeqKey()}
	args := make([]any, 0, 3+3*len(jobs)+3*len(records))
	args = append(args, retention.PerJob, retention.MaxAge.Milliseconds(), len(records))
	for _, job := range jobs {
		keys = append(keys, r.historyKey(job))
		args = append(args, job, spans[job], len(groups[job])/3)
		args = append(args, groups[job]...)
	}
	return keys, args, nil
}

// Runs implements contract.RunHistory.Runs: one script call for one job; for every job, one read of the
// job index and a script call per maxReadRecords that reads at most Limit records of each job (all when
// Limit is 0), merged here. It returns an error when query.Limit is negative.
func (r *redisBackend) Runs(ctx context.Context, query contract.RunQuery) ([]contract.RunRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if query.Limit < 0 {
		return nil, fmt.Errorf("run query limit %d is invalid: want 0 (no limit) or more", query.Limit)
	}
	jobs := []string{query.Job}
	if query.Job == "" {
		var err error
		if jobs, err = r.client.ZRange(ctx, r.historyJobsKey(), 0, -1).Result(); err != nil {
			return nil, r.callError(ctx, "read the run history's jobs", err)
		}
	}
	found, err := r.readRuns(ctx, jobs, query)
	if err != nil {
		return nil, err
	}
	var all []redisRun
	for _, records := range found {
		all = append(all, records...)
	}
	slices.SortFunc(all, compareRunsNewestFirst)
	if query.Limit > 0 && len(all) > query.Limit {
		all = all[:query.Limit]
	}
	records := make([]contract.RunRecord, len(all))
	for i, run := range all {
		records[i] = run.record
	}
	return records, nil
}

// compareRunsNewestFirst orders records by tick descending, then by append order descending.
func compareRunsNewestFirst(a, b redisRun) int {
	if c := b.record.Tick.Compare(a.record.Tick); c != 0 {
		return c
	}
	return cmp.Compare(b.seq, a.seq)
}

// LastRuns implements contract.RunHistory.LastRuns in one script call (per 20000 jobs).
func (r *redisBackend) LastRuns(ctx context.Context, jobs []string) (map[string]contract.RunRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	found, err := r.readRuns(ctx, jobs, contract.RunQuery{Limit: 1})
	if err != nil {
		return nil, err
	}
	last := make(map[string]contract.RunRecord, len(found))
	for i, records := range found {
		if len(records) > 0 {
			last[jobs[i]] = records[0].record
		}
	}
	return last, nil
}

// maxReadRecords bounds the records one read script call may return (jobs × the limit, or × PerJob when
// there is none), so a read of many jobs blocks Redis, and the claims waiting behind it, for a few ms at
// most: the jobs are read in calls of as many jobs as fit.
const maxReadRecords = 20000

// readRuns returns the records query selects of each of jobs, newest first, at most query.Limit of each,
// in one read script call (see history_read.lua) per maxReadRecords.
func (r *redisBackend) readRuns(ctx context.Context, jobs []string, query contract.RunQuery) ([][]redisRun, error) {
	retention, err := r.historyRetention()
	if err != nil {
		return nil, err
	}
	outcome := ""
	if query.Outcome != "" {
		if outcome, err = redisOutcomeJSON(string(query.Outcome)); err != nil {
			return nil, err
		}
	}
	args := []any{retention.MaxAge.Milliseconds(), max(redisMillis(query.Since), 0), outcome, query.Limit, `"missed"`}
	perJob := retention.PerJob
	if query.Limit > 0 {
		perJob = min(perJob, query.Limit)
	}
	found := make([][]redisRun, 0, len(jobs))
	for chunk := range slices.Chunk(jobs, max(1, maxReadRecords/perJob)) {
		records, err := r.readChunk(ctx, chunk, args)
		if err != nil {
			return nil, err
		}
		found = append(found, records...)
	}
	return found, nil
}

// readChunk runs the read script once for jobs with the arguments args (ARGV[1..5]).
func (r *redisBackend) readChunk(ctx context.Context, jobs []string, args []any) ([][]redisRun, error) {
	keys := []string{r.historySpansKey()}
	args = slices.Clip(args)
	for _, job := range jobs {
		keys = append(keys, r.historyKey(job))
		args = append(args, job)
	}
	reply, err := historyReadScript.Run(ctx, r.client, keys, args...).Slice()
	if err != nil {
		return nil, r.callError(ctx, "read the run history", err)
	}
	if len(reply) != len(jobs) {
		return nil, fmt.Errorf("redis at %s db %d: the run history script answered %d lists for %d jobs", r.address, r.db, len(reply), len(jobs))
	}
	found := make([][]redisRun, len(jobs))
	for i, list := range reply {
		if found[i], err = r.decodeRuns(jobs[i], list); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// decodeRuns decodes the read script's list of records of job: member, score, member, score, ….
func (r *redisBackend) decodeRuns(job string, list any) ([]redisRun, error) {
	values, ok := list.([]any)
	if !ok || len(values)%2 != 0 {
		return nil, fmt.Errorf("redis at %s db %d: the run history script answered %v for job %q", r.address, r.db, list, job)
	}
	records := make([]redisRun, 0, len(values)/2)
	for i := 0; i < len(values); i += 2 {
		member, _ := values[i].(string)
		score, _ := values[i+1].(string)
		record, err := decodeRedisRun(job, member, score)
		if err != nil {
			return nil, fmt.Errorf("redis at %s db %d: %w", r.address, r.db, err)
		}
		records = append(records, record)
	}
	return records, nil
}
