package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The run history of the etcd backend (contract.RunHistory). Keys, under the backend's prefix:
//
//	history/<job>/<tick>/<started>/<app id>   one record, compact JSON (etcdRun)
//	history-jobs/<job>                        the job's name: the list of jobs Runs reads for every job
//
// <job> and <app id> are path-escaped (a "/" in a name cannot mix two jobs' keys); <tick> and <started> are
// etcdDescending's 20 digits, which count down as time goes on. So a job's keys in byte order are its records
// newest first (tick descending, then started descending), and a read of a job's n newest records is a plain
// range read with limit n, which etcd serves by reading n records (a descending sort would make it read
// every record of the range first). A record's key is unique per app id, tick and start (µs): two records
// with the same key in one batch are one run recorded twice, the later kept.
//
// Requests: AppendRuns is one Txn per etcdMaxTxnOps operations, sent at once: a put per record, and with a
// job's first put its entry in history-jobs (the first time this backend writes the job) and, once per
// etcdTrimMargin of its records, a range delete of its records past the age and a count of its records.
// A count past Retention.PerJob+etcdTrimMargin costs 2 requests more (trimByCount). Runs of one job and
// LastRuns are one Txn per 128 jobs; Runs of every job reads history-jobs first, then one range per job.
// Reads return at most PerJob records of a job, so the records over PerJob that wait for a trim are never
// seen. A job's keys stay under PerJob + etcdTrimMargin + (margin-1) per backend appending to it, and
// past-age records stay (unread) until the job's next count.
const (
	etcdHistoryReadKeys = 10000 // keys one read request asks for at most, summed over its ranges
	etcdHistoryInFlight = 8     // requests of one call in flight at once
)

// etcdTrimMargin is how far past perJob a job's record count may grow before AppendRuns trims it: a trim
// reads perJob+1 keys, so it is done once per about perJob/10 appended records of a job.
func etcdTrimMargin(perJob int) int { return max(perJob/10, 1) }

// etcdRun is a RunRecord as stored: times in µs since the Unix epoch (0 for a zero time), Late in µs.
type etcdRun struct {
	Job      string `json:"job"`
	Type     string `json:"type,omitempty"`
	Service  string `json:"service,omitempty"`
	Tick     int64  `json:"tick"`
	AppID    string `json:"app,omitempty"`
	Hostname string `json:"host,omitempty"`
	PID      int    `json:"pid,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
	Started  int64  `json:"started,omitempty"`
	Finished int64  `json:"finished,omitempty"`
	Late     int64  `json:"late,omitempty"`
	Error    string `json:"error,omitempty"`
	Attempt  int    `json:"attempt,omitempty"`
	Count    int    `json:"count,omitempty"`
	LastTick int64  `json:"last_tick,omitempty"`
}

func etcdMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func etcdTime(micros int64) time.Time {
	if micros == 0 {
		return time.Time{}
	}
	return time.UnixMicro(micros)
}

func encodeEtcdRun(r contract.RunRecord) ([]byte, error) {
	return json.Marshal(etcdRun{Job: r.Job, Type: r.Type, Service: r.Service, Tick: etcdMicros(r.Tick), AppID: r.AppID,
		Hostname: r.Hostname, PID: r.PID, Outcome: string(r.Outcome), Started: etcdMicros(r.Started),
		Finished: etcdMicros(r.Finished), Late: r.Late.Microseconds(), Error: rules.CutRunError(r.Error),
		Attempt: r.Attempt, Count: r.Count, LastTick: etcdMicros(r.LastTick)})
}

func decodeEtcdRun(value []byte) (contract.RunRecord, error) {
	var r etcdRun
	if err := json.Unmarshal(value, &r); err != nil {
		return contract.RunRecord{}, err
	}
	return contract.RunRecord{Job: r.Job, Type: r.Type, Service: r.Service, Tick: etcdTime(r.Tick), AppID: r.AppID,
		Hostname: r.Hostname, PID: r.PID, Outcome: contract.Outcome(r.Outcome), Started: etcdTime(r.Started),
		Finished: etcdTime(r.Finished), Late: time.Duration(r.Late) * time.Microsecond, Error: r.Error,
		Attempt: r.Attempt, Count: r.Count, LastTick: etcdTime(r.LastTick)}, nil
}

// etcdDescending writes t in µs as 20 digits whose byte order is the reverse of the order of times.
func etcdDescending(t time.Time) string {
	return fmt.Sprintf("%020d", ^(uint64(t.UnixMicro()) ^ (1 << 63)))
}

// historyJobPrefix is the prefix of job's record keys.
func (e *etcdBackend) historyJobPrefix(job string) string {
	return e.prefix + "history/" + url.PathEscape(job) + "/"
}

// historyKey is the key of record r.
func (e *etcdBackend) historyKey(r contract.RunRecord) string {
	return e.historyJobPrefix(r.Job) + etcdDescending(r.Tick) + "/" + etcdDescending(r.Started) + "/" + url.PathEscape(r.AppID)
}

// historySince returns the end of job's keys of ticks at or after since: the range [job prefix, end) holds
// them, [end, the prefix's end) the older ones. ('0' is the byte after '/'.)
func (e *etcdBackend) historySince(job string, since time.Time) string {
	return e.historyJobPrefix(job) + etcdDescending(since) + "0"
}

// historyJobKey is job's key in the list of jobs.
func (e *etcdBackend) historyJobKey(job string) string {
	return e.prefix + "history-jobs/" + url.PathEscape(job)
}

// historyRetention is the backend's retention with its defaults, or an error naming a negative setting.
func (e *etcdBackend) historyRetention() (backend.Retention, error) {
	retention, err := e.retention.WithDefaults()
	if err != nil {
		return retention, fmt.Errorf("etcd at %s: %w", e.endpoints, err)
	}
	return retention, nil
}

// Runs implements contract.RunHistory.Runs: it reads at most Retention.PerJob newest records of each job
// selected (query.Limit of them when it filters nothing else), drops those query does not select, and
// returns them newest first. A record whose value is not a record is an error naming its key.
func (e *etcdBackend) Runs(ctx context.Context, query contract.RunQuery) ([]contract.RunRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if query.Limit < 0 {
		return nil, fmt.Errorf("run history query limit %d: must be 0 (no limit) or positive", query.Limit)
	}
	retention, err := e.historyRetention()
	if err != nil {
		return nil, err
	}
	perJob := retention.PerJob
	if query.Limit > 0 && query.Outcome == "" && query.Since.IsZero() {
		perJob = min(perJob, query.Limit)
	}
	jobs := []string{query.Job}
	if query.Job == "" {
		if jobs, err = e.historyJobs(ctx); err != nil {
			return nil, err
		}
	}
	newest, err := e.readNewest(ctx, jobs, perJob, e.now().Add(-retention.MaxAge))
	if err != nil {
		return nil, err
	}
	var records []contract.RunRecord
	for _, job := range newest {
		for _, r := range job {
			if selects(query, r) {
				records = append(records, r)
			}
		}
	}
	slices.SortStableFunc(records, func(a, b contract.RunRecord) int {
		if c := b.Tick.Compare(a.Tick); c != 0 {
			return c
		}
		return b.Started.Compare(a.Started)
	})
	if query.Limit > 0 && len(records) > query.Limit {
		records = records[:query.Limit]
	}
	return records, nil
}

// selects reports whether query selects r (its job aside): outcome, and since (for "missed", by LastTick).
func selects(query contract.RunQuery, r contract.RunRecord) bool {
	last := r.Tick
	if r.Outcome == "missed" && r.LastTick.After(last) {
		last = r.LastTick
	}
	return (query.Outcome == "" || r.Outcome == query.Outcome) && !last.Before(query.Since)
}

// LastRuns implements contract.RunHistory.LastRuns with a read of one key per job, 128 jobs a request.
func (e *etcdBackend) LastRuns(ctx context.Context, jobs []string) (map[string]contract.RunRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	retention, err := e.historyRetention()
	if err != nil {
		return nil, err
	}
	newest, err := e.readNewest(ctx, jobs, 1, e.now().Add(-retention.MaxAge))
	if err != nil {
		return nil, err
	}
	last := make(map[string]contract.RunRecord, len(jobs))
	for i, records := range newest {
		if len(records) > 0 {
			last[jobs[i]] = records[0]
		}
	}
	return last, nil
}

// readNewest returns the n newest records of each of jobs whose tick is at or after cutoff, newest first.
func (e *etcdBackend) readNewest(ctx context.Context, jobs []string, n int, cutoff time.Time) ([][]contract.RunRecord, error) {
	perRequest := min(etcdMaxTxnOps, max(1, etcdHistoryReadKeys/n))
	var chunks [][]clientv3.Op
	for start := 0; start < len(jobs); start += perRequest {
		var ops []clientv3.Op
		for _, job := range jobs[start:min(start+perRequest, len(jobs))] {
			ops = append(ops, clientv3.OpGet(e.historyJobPrefix(job), clientv3.WithRange(e.historySince(job, cutoff)),
				clientv3.WithLimit(int64(n))))
		}
		chunks = append(chunks, ops)
	}
	responses, err := e.commitTxns(ctx, chunks)
	if err != nil {
		return nil, e.storeError(ctx, "run history", fmt.Sprintf("read of the runs of %d jobs", len(jobs)), err)
	}
	newest := make([][]contract.RunRecord, 0, len(jobs))
	for _, response := range responses {
		for _, op := range response.Responses {
			var records []contract.RunRecord
			for _, kv := range op.GetResponseRange().GetKvs() {
				r, err := decodeEtcdRun(kv.Value)
				if err != nil {
					return nil, fmt.Errorf("run history in etcd at %s: key %s is not a run record (%v): delete it", e.endpoints, kv.Key, err)
				}
				records = append(records, r)
			}
			newest = append(newest, records)
		}
	}
	if len(newest) != len(jobs) {
		return nil, fmt.Errorf("run history in etcd at %s: %d answers to the reads of %d jobs", e.endpoints, len(newest), len(jobs))
	}
	return newest, nil
}

// historyJobs returns the names of the jobs that have had records (from history-jobs).
func (e *etcdBackend) historyJobs(ctx context.Context) ([]string, error) {
	responses, err := e.commitTxns(ctx, [][]clientv3.Op{{clientv3.OpGet(e.prefix+"history-jobs/", clientv3.WithPrefix())}})
	if err != nil {
		return nil, e.storeError(ctx, "run history", "read of the list of jobs", err)
	}
	var jobs []string
	for _, kv := range responses[0].Responses[0].GetResponseRange().GetKvs() {
		jobs = append(jobs, string(kv.Value))
	}
	return jobs, nil
}

// errNoJob is the error of a run record without a job name.
var errNoJob = errors.New("run record without a job name: every record needs RunRecord.Job")

var _ contract.RunHistory = (*etcdBackend)(nil)
