package etcd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// The run history of the etcd backend (contract.RunHistory). Keys, under the backend's prefix:
//
//	runs/<job>/<tick>/<place>/<client>   one record: etcdRunValue
//	runs-jobs/<job>                      the job's name: the list of jobs Runs reads for every job
//
// <job> is path-escaped (a "/" in a name cannot mix two jobs' keys); <tick> and <place> are
// etcdDescending's 20 digits, which count down as time goes on: <place> is the record's place in the
// append order, a stamp of the appending backend's clock (µs) that grows with each record it appends, and
// <client> names that backend (random). So a job's keys in byte order are its records newest first (tick
// descending, then the later appended first: exactly for one process's appends, by the appending
// processes' clocks between processes), and a read of a job's n newest records is a plain range read with
// limit n, which etcd serves by reading n records (a descending sort would make it read every record of the
// range first). The keys of the framework's previous record format (history/, history-jobs/) are not read.
//
// Requests: AppendRuns is one Txn per etcdTxnCapacity(0) operations (4096, in groups: txn_layout.go) or
// 1 MiB, sent at once: a put per record, and with a
// job's first put its entry in runs-jobs (the first time this backend writes the job) and, once per
// etcdTrimMargin of its records, a range delete of its records past the age and a count of its records.
// A count past Retention.PerJob+etcdTrimMargin costs 2 requests more (trimByCount). Runs of one job and
// LastRuns are one Txn per 128 jobs; Runs of every job reads runs-jobs first, then one range per job.
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

// etcdRunHeader is the first line of a record's value (etcdRunValue): the fields that Runs selects by.
type etcdRunHeader struct {
	Outcome  string `json:"o"`
	LastTick int64  `json:"l,omitempty"` // µs since the Unix epoch, 0 for a zero time
}

// etcdRun is a record as read, and the end of its key from its tick on (see etcdDescending), by whose byte
// order records are newest first.
type etcdRun struct {
	record contract.RunRecord
	order  string
}

// etcdRunValue returns the value of record's key: etcdRunHeader as JSON, a newline, then the body.
func etcdRunValue(record contract.RunRecord) (string, error) {
	header, err := json.Marshal(etcdRunHeader{Outcome: string(record.Outcome), LastTick: clock.UnixMicros(record.LastTick)})
	if err != nil {
		return "", err
	}
	return string(header) + "\n" + string(record.Body), nil
}

// decodeEtcdRun is the inverse of etcdRunValue for the record of job whose key ends with order (its tick
// on).
func decodeEtcdRun(job, order string, value []byte) (etcdRun, error) {
	header, body, found := bytes.Cut(value, []byte("\n"))
	if !found {
		return etcdRun{}, errors.New("no header line")
	}
	var h etcdRunHeader
	if err := json.Unmarshal(header, &h); err != nil {
		return etcdRun{}, err
	}
	tick, err := etcdFromDescending(order[:min(len(order), etcdDigits)])
	if err != nil {
		return etcdRun{}, err
	}
	return etcdRun{record: contract.RunRecord{Job: job, Tick: time.UnixMicro(tick), LastTick: clock.FromUnixMicros(h.LastTick),
		Outcome: contract.Outcome(h.Outcome), Body: body}, order: order}, nil
}

// etcdDigits is the width of etcdDescending's numbers.
const etcdDigits = 20

// etcdDescending writes us (µs) as etcdDigits digits whose byte order is the reverse of the order of us.
func etcdDescending(us int64) string {
	return fmt.Sprintf("%0*d", etcdDigits, ^(uint64(us) ^ (1 << 63)))
}

// etcdFromDescending is the inverse of etcdDescending.
func etcdFromDescending(digits string) (int64, error) {
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || len(digits) != etcdDigits {
		return 0, fmt.Errorf("%q is not %d digits", digits, etcdDigits)
	}
	return int64(^n ^ (1 << 63)), nil
}

// historyJobPrefix is the prefix of job's record keys.
func (e *etcdBackend) historyJobPrefix(job string) string {
	return e.prefix + "runs/" + url.PathEscape(job) + "/"
}

// historyKey is the key of a record of job at tick, place its stamp (µs) in the append order.
func (e *etcdBackend) historyKey(job string, tick time.Time, place int64) string {
	return e.historyJobPrefix(job) + etcdDescending(tick.UnixMicro()) + "/" + etcdDescending(place) + "/" + e.client
}

// historySince returns the end of job's keys of ticks at or after since: the range [job prefix, end) holds
// them, [end, the prefix's end) the older ones. ('0' is the byte after '/'.)
func (e *etcdBackend) historySince(job string, since time.Time) string {
	return e.historyJobPrefix(job) + etcdDescending(since.UnixMicro()) + "0"
}

// historyJobsPrefix is the prefix of the list of jobs.
func (e *etcdBackend) historyJobsPrefix() string { return e.prefix + "runs-jobs/" }

// historyJobKey is job's key in the list of jobs.
func (e *etcdBackend) historyJobKey(job string) string {
	return e.historyJobsPrefix() + url.PathEscape(job)
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
	var selected []etcdRun
	for _, job := range newest {
		for _, r := range job {
			if selects(query, r.record) {
				selected = append(selected, r)
			}
		}
	}
	slices.SortFunc(selected, func(a, b etcdRun) int { return strings.Compare(a.order, b.order) })
	if query.Limit > 0 && len(selected) > query.Limit {
		selected = selected[:query.Limit]
	}
	records := make([]contract.RunRecord, len(selected))
	for i, r := range selected {
		records[i] = r.record
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
			last[jobs[i]] = records[0].record
		}
	}
	return last, nil
}

// readNewest returns the n newest records of each of jobs whose tick is at or after cutoff, newest first.
func (e *etcdBackend) readNewest(ctx context.Context, jobs []string, n int, cutoff time.Time) ([][]etcdRun, error) {
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
	responses, err := e.commitTxns(ctx, chunks, 0)
	if err != nil {
		return nil, e.storeError(ctx, "run history", fmt.Sprintf("read of the runs of %d jobs", len(jobs)), err)
	}
	return e.decodeNewest(jobs, responses)
}

// decodeNewest returns the records of each of jobs that responses read, a range read per job in order.
func (e *etcdBackend) decodeNewest(jobs []string, responses []*clientv3.TxnResponse) ([][]etcdRun, error) {
	answers := 0
	for _, response := range responses {
		answers += len(response.Responses)
	}
	if answers != len(jobs) {
		return nil, fmt.Errorf("run history in etcd at %s: %d answers to the reads of %d jobs", e.endpoints, answers, len(jobs))
	}
	newest := make([][]etcdRun, 0, len(jobs))
	for _, response := range responses {
		for _, op := range response.Responses {
			job := jobs[len(newest)]
			var records []etcdRun
			for _, kv := range op.GetResponseRange().GetKvs() {
				r, err := decodeEtcdRun(job, strings.TrimPrefix(string(kv.Key), e.historyJobPrefix(job)), kv.Value)
				if err != nil {
					return nil, fmt.Errorf("run history in etcd at %s: key %s is not a run record (%v): delete it", e.endpoints, kv.Key, err)
				}
				records = append(records, r)
			}
			newest = append(newest, records)
		}
	}
	return newest, nil
}

// historyJobs returns the names of the jobs that have had records (from runs-jobs).
func (e *etcdBackend) historyJobs(ctx context.Context) ([]string, error) {
	responses, err := e.commitTxns(ctx, [][]clientv3.Op{{clientv3.OpGet(e.historyJobsPrefix(), clientv3.WithPrefix())}}, 0)
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
