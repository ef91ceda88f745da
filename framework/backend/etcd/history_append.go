package etcd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// etcdHistoryJob is what a backend knows of a job it appended records to.
type etcdHistoryJob struct {
	listed    bool // its entry in history-jobs was written
	counted   bool // its records were counted once at least
	uncounted int  // records appended since they were last counted
}

// etcdJobPlan is what an append does for one job besides its puts.
type etcdJobPlan struct {
	puts  int
	list  bool // write the job's entry in history-jobs
	count bool // delete its records past the age and count its records: etcdTrimMargin uncounted records
}

// ops is how many operations plan adds to the Txn of the job's first put.
func (plan etcdJobPlan) ops() int {
	n := 0
	if plan.list {
		n++
	}
	if plan.count {
		n += 2
	}
	return n
}

// etcdRunPut is one record to write: its job, key and value.
type etcdRunPut struct {
	job, key, value string
}

// etcdAppendChunk is one Txn of AppendRuns: puts, then the operations of the plans of the jobs whose first
// put it holds (the count after the puts, so that it sees them).
type etcdAppendChunk struct {
	ops   []clientv3.Op
	size  int            // operations, counting those closeChunk adds
	bytes int            // about the request's size
	first []string       // the jobs whose first put of the call this chunk holds
	puts  map[string]int // puts per job
	count map[string]int // index in ops of the count of a job of first
}

// AppendRuns implements contract.RunHistory.AppendRuns: it writes records in Txns of at most
// etcdTxnCapacity(0) operations and 1 MiB, sent at once (1000 records of a few hundred bytes are one
// request), dropping the
// records whose tick is past the retention age. Once per etcdTrimMargin records of a job (and at its first
// append by this backend), the Txn also deletes the job's records past the age and counts its records; past
// Retention.PerJob+etcdTrimMargin, trimByCount cuts the job to PerJob (2 requests more). A record without
// a job is an error before anything is written. A failed request may have been applied, and a request the
// client sends again writes the same keys: a record is never stored twice.
func (e *etcdBackend) AppendRuns(ctx context.Context, records []contract.RunRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	retention, err := e.historyRetention()
	if err != nil {
		return err
	}
	cutoff := e.now().Add(-retention.MaxAge)
	puts, err := e.historyPuts(records, cutoff)
	if err != nil || len(puts) == 0 {
		return err
	}
	plans := e.planAppend(puts, etcdTrimMargin(retention.PerJob))
	chunks := e.appendChunks(puts, plans, cutoff)
	ops := make([][]clientv3.Op, len(chunks))
	for i, c := range chunks {
		ops[i] = c.ops
	}
	responses, err := e.commitTxns(ctx, ops, 0)
	e.noteAppend(plans, err == nil)
	if err != nil {
		return e.storeError(ctx, "run history", fmt.Sprintf("append of %d run records", len(puts)), err)
	}
	over := jobsOverRetention(chunks, responses, plans, retention.PerJob+etcdTrimMargin(retention.PerJob))
	if len(over) == 0 {
		return nil
	}
	return e.trimByCount(ctx, over, retention.PerJob)
}

// historyPuts encodes the records whose tick is at or after cutoff, each keyed with its place in the
// append order (appendStamps, in the order of records), sorted by job.
func (e *etcdBackend) historyPuts(records []contract.RunRecord, cutoff time.Time) ([]etcdRunPut, error) {
	puts := make([]etcdRunPut, 0, len(records))
	for i, r := range records {
		if r.Job == "" {
			return nil, fmt.Errorf("run record %d of %d (tick %s): %w", i+1, len(records), rules.FormatTime(r.Tick), errNoJob)
		}
	}
	place := e.appendStamps(len(records))
	for i, r := range records {
		if r.Tick.Before(cutoff) {
			continue
		}
		value, err := etcdRunValue(r)
		if err != nil {
			return nil, fmt.Errorf("run record %d of job %q: %w", i+1, r.Job, err)
		}
		puts = append(puts, etcdRunPut{job: r.Job, key: e.historyKey(r.Job, r.Tick, place+int64(i)), value: value})
	}
	slices.SortStableFunc(puts, func(a, b etcdRunPut) int { return strings.Compare(a.job, b.job) })
	return puts, nil
}

// appendStamps returns the first of n places in the append order for records this backend appends now
// (or for a control answer it stores): µs of its clock, each later than every place it gave before, so its
// appends keep their order however its clock moves.
func (e *etcdBackend) appendStamps(n int) int64 {
	e.historyMu.Lock()
	defer e.historyMu.Unlock()
	first := max(e.now().UnixMicro(), e.lastPlace+1)
	e.lastPlace = first + int64(n) - 1
	return first
}

// planAppend returns the plan of each job of puts: list it unless this backend did, count it when it never
// did or when its uncounted records reach margin with these.
func (e *etcdBackend) planAppend(puts []etcdRunPut, margin int) map[string]*etcdJobPlan {
	e.historyMu.Lock()
	defer e.historyMu.Unlock()
	plans := map[string]*etcdJobPlan{}
	for _, put := range puts {
		plan := plans[put.job]
		if plan == nil {
			plan = &etcdJobPlan{}
			plans[put.job] = plan
		}
		plan.puts++
	}
	for job, plan := range plans {
		known := e.historyJobsOf[job]
		plan.list = known == nil || !known.listed
		plan.count = known == nil || !known.counted || known.uncounted+plan.puts >= margin
	}
	return plans
}

// noteAppend records what an append of plans did; a failed append may have written all its records.
func (e *etcdBackend) noteAppend(plans map[string]*etcdJobPlan, ok bool) {
	e.historyMu.Lock()
	defer e.historyMu.Unlock()
	if e.historyJobsOf == nil {
		e.historyJobsOf = map[string]*etcdHistoryJob{}
	}
	for job, plan := range plans {
		known := e.historyJobsOf[job]
		if known == nil {
			known = &etcdHistoryJob{}
			e.historyJobsOf[job] = known
		}
		switch {
		case ok && plan.count:
			known.listed, known.counted, known.uncounted = true, true, 0
		case ok:
			known.listed, known.uncounted = true, known.uncounted+plan.puts
		default:
			known.uncounted += plan.puts
		}
	}
}

// appendChunks splits puts into Txns within etcd's limits: at most etcdTxnCapacity(0) operations (a put
// per record, the plan's with a job's first put; commitTxns lays them out in groups) and etcdMaxTxnBytes.
func (e *etcdBackend) appendChunks(puts []etcdRunPut, plans map[string]*etcdJobPlan, cutoff time.Time) []*etcdAppendChunk {
	var chunks []*etcdAppendChunk
	current := &etcdAppendChunk{puts: map[string]int{}}
	for i, put := range puts {
		first := i == 0 || puts[i-1].job != put.job
		ops, bytes := 1, len(put.key)+len(put.value)+16
		if first {
			ops, bytes = ops+plans[put.job].ops(), bytes+3*len(e.historyJobPrefix(put.job))+64
		}
		if current.size > 0 && (current.size+ops > etcdTxnCapacity(0) || current.bytes+bytes > etcdMaxTxnBytes) {
			chunks = append(chunks, e.closeChunk(current, plans, cutoff))
			current = &etcdAppendChunk{puts: map[string]int{}}
		}
		if first {
			current.first = append(current.first, put.job)
		}
		current.ops = append(current.ops, clientv3.OpPut(put.key, put.value))
		current.size, current.bytes = current.size+ops, current.bytes+bytes
		current.puts[put.job]++
	}
	return append(chunks, e.closeChunk(current, plans, cutoff))
}

// closeChunk adds to c, after its puts, the operations of the plans of the jobs whose first put it holds.
func (e *etcdBackend) closeChunk(c *etcdAppendChunk, plans map[string]*etcdJobPlan, cutoff time.Time) *etcdAppendChunk {
	c.count = map[string]int{}
	for _, job := range c.first {
		prefix := e.historyJobPrefix(job)
		if plans[job].count {
			c.ops = append(c.ops, clientv3.OpDelete(e.historySince(job, cutoff), clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix))))
			c.count[job] = len(c.ops)
			c.ops = append(c.ops, clientv3.OpGet(prefix, clientv3.WithPrefix(), clientv3.WithCountOnly()))
		}
		if plans[job].list {
			c.ops = append(c.ops, clientv3.OpPut(e.historyJobKey(job), job))
		}
	}
	return c
}

// jobsOverRetention returns the jobs counted by chunks that may hold more than limit records: a job's
// count saw the puts of its chunk, and maybe not its puts in the other chunks, sent at the same time.
func jobsOverRetention(chunks []*etcdAppendChunk, responses []*clientv3.TxnResponse, plans map[string]*etcdJobPlan, limit int) []string {
	var over []string
	for i, c := range chunks {
		for job, at := range c.count {
			count := int(responses[i].Responses[at].GetResponseRange().GetCount())
			if count+plans[job].puts-c.puts[job] > limit {
				over = append(over, job)
			}
		}
	}
	slices.Sort(over)
	return over
}

// trimByCount deletes the records of each of jobs but its perJob newest: a keys-only read of each job's
// perJob+1 newest keys (the last is the newest to delete), then one range delete per job from that key to
// the end of the job's keys, in Txns of at most etcdHistoryReadKeys keys read and etcdMaxTxnOps deletes.
// Records written meanwhile by others are newer (kept) or older (deleted with the rest, as a later trim
// would); a trim never leaves fewer than perJob records of a job.
func (e *etcdBackend) trimByCount(ctx context.Context, jobs []string, perJob int) error {
	perRequest := min(etcdMaxTxnOps, max(1, etcdHistoryReadKeys/(perJob+1)))
	var reads [][]clientv3.Op
	for start := 0; start < len(jobs); start += perRequest {
		var ops []clientv3.Op
		for _, job := range jobs[start:min(start+perRequest, len(jobs))] {
			ops = append(ops, clientv3.OpGet(e.historyJobPrefix(job), clientv3.WithPrefix(), clientv3.WithKeysOnly(),
				clientv3.WithLimit(int64(perJob+1))))
		}
		reads = append(reads, ops)
	}
	responses, err := e.commitTxns(ctx, reads, 0)
	if err != nil {
		return e.storeError(ctx, "run history", fmt.Sprintf("read of the keys of %d jobs to trim", len(jobs)), err)
	}
	var deletes [][]clientv3.Op
	job := 0
	for _, response := range responses {
		for _, read := range response.Responses {
			end := clientv3.GetPrefixRangeEnd(e.historyJobPrefix(jobs[job]))
			job++
			kvs := read.GetResponseRange().GetKvs()
			if len(kvs) <= perJob {
				continue
			}
			if len(deletes) == 0 || len(deletes[len(deletes)-1]) == etcdMaxTxnOps {
				deletes = append(deletes, nil)
			}
			last := len(deletes) - 1
			deletes[last] = append(deletes[last], clientv3.OpDelete(string(kvs[perJob].Key), clientv3.WithRange(end)))
		}
	}
	if _, err := e.commitTxns(ctx, deletes, 0); err != nil {
		return e.storeError(ctx, "run history", fmt.Sprintf("trim of %d jobs to %d records", len(jobs), perJob), err)
	}
	return nil
}
