package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// processCPU returns the CPU time (user and system) this process used so far: on a shared machine it
// measures the cost better than the elapsed time.
func processCPU(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// appendBench is a case of BenchmarkLocalAppendRuns: batches of batch records spread evenly over jobs
// jobs, each job holding the default retention's 1000 records before the first batch, so that each batch
// inserts batch records and trims as many. A job's records are one second apart, as every-second jobs',
// from start on. template is the path of a database file of the full history, made by the first round.
type appendBench struct {
	batch, jobs int
	start       time.Time
	template    string
}

// BenchmarkLocalAppendRuns appends batches to a full history; an op is a record (b.N records in batches),
// so ns/op, B/op and allocs/op are per record, and so are ns/record (the same) and cpu-ns/record (the
// process's CPU time, which a shared machine disturbs less). batch=1000/jobs=1000 is a tick of 1000
// every-second jobs, batch=2000/jobs=1000 two of them, the recorder's batch when it is busy (its linger of
// 1.2 s); batch=1000/jobs=10 a burst of few jobs.
func BenchmarkLocalAppendRuns(b *testing.B) {
	templates := b.TempDir()
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	for _, c := range []appendBench{{batch: 100, jobs: 10}, {batch: 100, jobs: 100}, {batch: 1000, jobs: 10},
		{batch: 1000, jobs: 1000}, {batch: 2000, jobs: 1000}} {
		c.start, c.template = start, filepath.Join(templates, fmt.Sprintf("jobs-%d.sqlite", c.jobs))
		b.Run(fmt.Sprintf("batch=%d/jobs=%d", c.batch, c.jobs), c.run)
	}
}

// run runs the case on a copy of the template: it appends one batch untimed (this client's first batch
// also deletes the records older than the retention's age), then b.N records, timed, in batches (the last
// one shorter when b.N is not a multiple of the batch).
func (c appendBench) run(b *testing.B) {
	local := c.openFull(b)
	records := c.records(defaultPerJob*c.jobs, c.batch+b.N)
	appendRuns := func(batch []contract.RunRecord) {
		if err := local.AppendRuns(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	appendRuns(records[:c.batch])
	records = records[c.batch:]
	cpu := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for start := 0; start < b.N; start += c.batch {
		appendRuns(records[start:min(start+c.batch, b.N)])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
	b.ReportMetric(float64((processCPU(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/record")
}

// records returns n records of the case, the first one the place-th of the history: the i-th record of the
// history is job-<i%jobs>'s at start + i/jobs seconds.
func (c appendBench) records(place, n int) []contract.RunRecord {
	records := make([]contract.RunRecord, n)
	for i := range records {
		tick := c.start.Add(time.Duration((place+i)/c.jobs) * time.Second)
		records[i] = historyRecord(fmt.Sprintf("job-%d", (place+i)%c.jobs), "bench", tick)
	}
	return records
}

// openFull returns a client of a new folder holding a copy of the template, made first if missing.
func (c appendBench) openFull(b *testing.B) *localBackend {
	if _, err := os.Stat(c.template); errors.Is(err, fs.ErrNotExist) {
		folder := filepath.Join(b.TempDir(), "template")
		template := openLocal(b, folder, historyRetention{})
		fillHistory(b, template, c.jobs, defaultPerJob, c.start)
		if err := template.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(template.databasePath(), c.template); err != nil {
			b.Fatal(err)
		}
	} else if err != nil {
		b.Fatal(err)
	}
	local := openLocal(b, filepath.Join(b.TempDir(), "distributed"), historyRetention{})
	data, err := os.ReadFile(c.template)
	if err == nil {
		err = os.MkdirAll(local.folder, 0o750)
	}
	if err == nil {
		err = os.WriteFile(local.databasePath(), data, 0o600)
	}
	if err != nil {
		b.Fatal(err)
	}
	return local
}

// fillHistory writes perJob records of each of jobs jobs, job-0 to job-<jobs-1>, with one SQL statement
// (much faster than AppendRuns for a million records): the i-th records of the jobs have the tick start+i
// seconds and bodies of historyRecord's length; run_record_counts counts them.
func fillHistory(b *testing.B, local *localBackend, jobs, perJob int, start time.Time) {
	b.Helper()
	ctx := context.Background()
	db, err := local.database(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	const fill = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1 * ?2)
		INSERT INTO run_records (job, tick_us, last_tick_us, outcome, body)
		SELECT 'job-' || (i % ?1), ?3 + (i / ?1) * 1000000, ?3 + (i / ?1) * 1000000, 'ok',
			CAST(printf('{"j":"job-%d","t":%d,"a":"bench","h":"host","p":1,"o":"ok","d":1000}',
				i % ?1, ?3 + (i / ?1) * 1000000) AS BLOB)
		FROM n`
	if _, err := db.ExecContext(ctx, fill, jobs, perJob, start.UnixMicro()); err != nil {
		b.Fatal(err)
	}
	const count = `INSERT INTO run_record_counts (job, runs) SELECT job, count(*) FROM run_records GROUP BY job`
	if _, err := db.ExecContext(ctx, count); err != nil {
		b.Fatal(err)
	}
}

// defaultPerJob is the run history's default retention per job (backend.Retention.WithDefaults).
const defaultPerJob = 1000
