package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// testPrefixes numbers the key prefixes of the tests' stores, so stores sharing a server never meet.
var testPrefixes atomic.Int64

// newPrefixedRedis returns a backend of rawURL with keys under prefix and retention, closed at t's end.
func newPrefixedRedis(t testing.TB, rawURL, prefix string, retention backend.Retention) *redisBackend {
	t.Helper()
	backend, err := newRedis(rawURL, prefix, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	backend.retention = retention
	t.Cleanup(func() { _ = backend.Close() })
	return backend
}

func freshPrefix() string { return fmt.Sprintf("t%d:", testPrefixes.Add(1)) }

// roundTrips counts the calls a client sends: one per command, one per pipeline or transaction; the
// handshake of a new connection (HELLO) is not counted.
type roundTrips struct {
	mu       sync.Mutex
	commands []string
}

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "hello" {
			c.add(cmd.Name())
		}
		return next(ctx, cmd)
	}
}

func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.add(fmt.Sprintf("pipeline of %d", len(cmds)))
		return next(ctx, cmds)
	}
}

func (c *roundTrips) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commands = append(c.commands, name)
}

// take returns the calls counted since the last take.
func (c *roundTrips) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	taken := c.commands
	c.commands = nil
	return taken
}

// commandCalls returns the calls of command Redis counted (INFO commandstats).
func commandCalls(t *testing.T, client *redis.Client, command string) int {
	t.Helper()
	info, err := client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+command+":calls="); ok {
			if _, err := fmt.Sscanf(rest, "%d", &calls); err != nil {
				t.Fatalf("INFO commandstats line %q: %v", line, err)
			}
		}
	}
	return calls
}

// historyBatch returns n records spread over jobs jobs, ticks one second apart from base, each with a body
// of the framework's size (about 140 bytes).
func historyBatch(base time.Time, n, jobs int) []contract.RunRecord {
	records := make([]contract.RunRecord, n)
	for i := range records {
		tick := base.Add(time.Duration(i) * time.Second)
		job := fmt.Sprintf("job-%03d", i%jobs)
		body := fmt.Appendf(nil, `{"j":%q,"t":%d,"a":"0d5c6a1e-8f1b-4c57-9f0e-2b9c7d3e4a11","h":"host-1","p":4242,`+
			`"o":"ok","b":3000,"d":247000,"l":3000}`, job, tick.UnixMicro())
		records[i] = contract.RunRecord{Job: job, Tick: tick, LastTick: tick, Outcome: "ok", Body: body}
	}
	return records
}

// A batch of 200 records across 50 jobs is one call from the client and one EVALSHA in Redis; reading
// one job, the last runs of 50 jobs and a heartbeat are one call each, every job's runs two, or more when
// a call would read more than maxReadRecords. (The first
// call of a script after Redis starts is two: EVALSHA answered NOSCRIPT, then EVAL.)
func TestRedisHistoryRoundTrips(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	counter := &roundTrips{}
	backend.client.AddHook(counter)
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, script := range []*redis.Script{historyAppendScript, historyReadScript, heartbeatScript} {
		if err := script.Load(ctx, admin).Err(); err != nil { // as the first call after Redis starts does
			t.Fatal(err)
		}
	}
	if err := backend.AppendRuns(ctx, historyBatch(base, 10, 5)); err != nil {
		t.Fatal(err)
	}
	evalsBefore := commandCalls(t, admin, "evalsha") + commandCalls(t, admin, "eval")
	counter.take()
	if err := backend.AppendRuns(ctx, historyBatch(base.Add(time.Minute), 200, 50)); err != nil {
		t.Fatal(err)
	}
	if calls := counter.take(); len(calls) != 1 || calls[0] != "evalsha" {
		t.Fatalf("AppendRuns of 200 records across 50 jobs sent %v; want one evalsha", calls)
	}
	if evals := commandCalls(t, admin, "evalsha") + commandCalls(t, admin, "eval") - evalsBefore; evals != 1 {
		t.Fatalf("Redis ran %d scripts for one AppendRuns; want 1", evals)
	}
	jobs := make([]string, 50)
	for i := range jobs {
		jobs[i] = fmt.Sprintf("job-%03d", i)
	}
	checkCalls(t, counter, "Runs of one job", 1, func() error {
		_, err := backend.Runs(ctx, contract.RunQuery{Job: "job-007", Outcome: "ok", Since: base, Limit: 3})
		return err
	})
	checkCalls(t, counter, "LastRuns of 50 jobs", 1, func() error { _, err := backend.LastRuns(ctx, jobs); return err })
	checkCalls(t, counter, "Runs of every job", 2, func() error { _, err := backend.Runs(ctx, contract.RunQuery{Limit: 10}); return err })
	var all []contract.RunRecord
	checkCalls(t, counter, "Runs of every job without a limit (20 jobs of 1000 records per call)", 1+3, func() (err error) {
		all, err = backend.Runs(ctx, contract.RunQuery{})
		return err
	})
	if len(all) != 210 {
		t.Fatalf("Runs of every job read in 3 calls: %d records, want 210", len(all))
	}
	record := contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"h"}`)}
	checkCalls(t, counter, "Heartbeat", 1, func() error { _, err := backend.Heartbeat(ctx, record, time.Minute); return err })
	checkCalls(t, counter, "Processes", 2, func() error { _, err := backend.Processes(ctx); return err })
	checkCalls(t, counter, "Deregister", 1, func() error { return backend.Deregister(ctx, "app") })
}

func checkCalls(t *testing.T, counter *roundTrips, what string, want int, call func() error) {
	t.Helper()
	counter.take()
	if err := call(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if calls := counter.take(); len(calls) != want {
		t.Fatalf("%s sent %v; want %d calls", what, calls, want)
	}
}

// 5000 records of one job with PerJob 100 leave 100 in Redis, the newest; a job without a record younger
// than MaxAge leaves the index; every history key expires within MaxAge.
func TestRedisHistoryMemoryStaysBounded(t *testing.T) {
	server := redistest.Start(t, "")
	prefix := freshPrefix()
	backend := newPrefixedRedis(t, server.URL(), prefix, historyRetention{PerJob: 100, MaxAge: 2 * time.Hour})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	base := time.Now().Add(-90 * time.Minute).Truncate(time.Second)
	for i := 0; i < 10; i++ {
		batch := historyBatch(base.Add(time.Duration(i*500)*time.Second), 500, 1)
		batch[0].Outcome, batch[0].LastTick = "missed", batch[0].Tick.Add(2*time.Second)
		if err := backend.AppendRuns(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	key := backend.historyKey("job-000")
	if size := admin.ZCard(ctx, key).Val(); size != 100 {
		t.Fatalf("after 5000 records of one job with PerJob 100, %s holds %d; want 100", key, size)
	}
	got, err := backend.Runs(ctx, contract.RunQuery{Job: "job-000", Limit: 1})
	if err != nil || len(got) != 1 || !got[0].Tick.Equal(base.Add(4999*time.Second)) {
		t.Fatalf("the newest record is %v, %v; want the tick of record 5000", got, err)
	}
	// another process keeps only 1 hour: job-000's records (up to 90 min old... newest ~7 min) stay;
	// a job whose newest record is 80 minutes old leaves the index and the spans
	old := historyBatch(base.Add(10*time.Minute), 1, 1)
	old[0].Job, old[0].Outcome, old[0].LastTick = "old", "missed", old[0].Tick.Add(time.Minute)
	if err := backend.AppendRuns(ctx, old); err != nil {
		t.Fatal(err)
	}
	short := newPrefixedRedis(t, server.URL(), prefix, historyRetention{PerJob: 100, MaxAge: time.Hour})
	if err := short.AppendRuns(ctx, historyBatch(time.Now().Add(-time.Minute), 1, 1)); err != nil {
		t.Fatal(err)
	}
	jobs := admin.ZRange(ctx, backend.historyJobsKey(), 0, -1).Val()
	spans := admin.HKeys(ctx, backend.historySpansKey()).Val()
	if strings.Join(jobs, ",") != "job-000" || strings.Join(spans, ",") != "job-000" {
		t.Fatalf("after a write with a 1 hour retention the index holds %v and the spans %v; want job-000 only", jobs, spans)
	}
	for _, key := range admin.Keys(ctx, prefix+"*").Val() {
		if ttl := admin.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 2*time.Hour {
			t.Fatalf("history key %s has TTL %s; want at most the retention age", key, ttl)
		}
	}
}

// The history and the registry never touch the fences: after claims, writes, heartbeats and trims, each
// fence is as the claim left it and never expires, and every key is one of the documented ones.
func TestRedisHistoryLeavesFencesAlone(t *testing.T) {
	server := redistest.Start(t, "")
	prefix := freshPrefix()
	backend := newPrefixedRedis(t, server.URL(), prefix, historyRetention{PerJob: 2, MaxAge: time.Hour})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	fences := map[string]map[string]string{}
	for _, service := range []string{"job-000", "job-001"} {
		if _, err := claim(backend, service, "app", now, time.Minute); err != nil {
			t.Fatal(err)
		}
		fences[service] = admin.HGetAll(ctx, backend.FenceKey(service)).Val()
	}
	batch := historyBatch(now.Add(-3*time.Hour), 10, 2)
	batch = append(batch, historyBatch(now.Add(-time.Minute), 10, 2)...)
	if err := backend.AppendRuns(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"h"}`)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	for service, before := range fences {
		key := backend.FenceKey(service)
		if after := admin.HGetAll(ctx, key).Val(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("fence %s changed from %v to %v", key, before, after)
		}
		if ttl := admin.TTL(ctx, key).Val(); ttl != -1 {
			t.Fatalf("fence %s has TTL %s; want none (-1)", key, ttl)
		}
	}
	want := map[string]bool{prefix + "distributed:job-000": true, prefix + "distributed:job-001": true,
		prefix + "runs:job-000": true, prefix + "runs:job-001": true, prefix + "runs-jobs": true, prefix + "runs-seq": true,
		prefix + "process-record:app": true, prefix + "process-records": true}
	for _, key := range admin.Keys(ctx, prefix+"*").Val() {
		if !want[key] {
			t.Fatalf("unexpected key %s; the keys are %v", key, admin.Keys(ctx, prefix+"*").Val())
		}
	}
}

// Every method fails with an error naming the backend, never its password, when Redis is down, and
// returns ctx's error when ctx is cancelled.
func TestRedisHistoryErrors(t *testing.T) {
	server := redistest.Start(t, "s3cret")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	record := historyBatch(time.Now(), 1, 1)
	calls := map[string]func(context.Context) error{
		"AppendRuns": func(ctx context.Context) error { return backend.AppendRuns(ctx, record) },
		"Runs":       func(ctx context.Context) error { _, err := backend.Runs(ctx, contract.RunQuery{}); return err },
		"LastRuns":   func(ctx context.Context) error { _, err := backend.LastRuns(ctx, []string{"a"}); return err },
		"Heartbeat": func(ctx context.Context) error {
			_, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, time.Minute)
			return err
		},
		"Processes":  func(ctx context.Context) error { _, err := backend.Processes(ctx); return err },
		"Deregister": func(ctx context.Context) error { return backend.Deregister(ctx, "a") },
	}
	for name, call := range calls {
		if err := call(canceled); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s with a cancelled context: %v; want context.Canceled", name, err)
		}
	}
	server.Stop()
	for name, call := range calls {
		err := call(ctx)
		if err == nil || !strings.Contains(err.Error(), "redis at 127.0.0.1:") || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("%s with Redis down: %v; want an error naming the address, not the password", name, err)
		}
	}
}

// A record survives its member: the last tick to the ms (a zero one included), any outcome, the body
// byte for byte (empty, binary, or holding what looks like an outcome); the place and the tick (the
// score) come back too.
func TestRedisHistoryRecordEncoding(t *testing.T) {
	tick := time.UnixMilli(1_700_000_000_123)
	records := []contract.RunRecord{
		{Job: "a", Tick: tick, LastTick: tick, Outcome: "skipped", Body: []byte(`{"j":"a"}`)},
		{Job: "b", Tick: tick, Outcome: `we"ird`, Body: []byte("\x00\xff\n\"ok\" é")},
		{Job: "c", Tick: tick, LastTick: tick.Add(time.Hour), Outcome: "missed"},
		{Job: "d", Tick: time.Time{}, LastTick: tick, Outcome: "", Body: []byte(`"missed"`)},
	}
	for i, want := range records {
		rest, err := redisRunRest(want)
		if err != nil {
			t.Fatal(err)
		}
		member := fmt.Sprintf("%016d", i+7) + rest
		got, err := decodeRedisRun(want.Job, member, fmt.Sprint(redisMillis(want.Tick)))
		if err != nil {
			t.Fatal(err)
		}
		if got.seq != int64(i+7) || !got.record.Tick.Equal(want.Tick) || !got.record.LastTick.Equal(want.LastTick) ||
			got.record.Job != want.Job || got.record.Outcome != want.Outcome || !bytes.Equal(got.record.Body, want.Body) {
			t.Fatalf("%q decodes to %+v (place %d); want %+v (place %d)", member, got.record, got.seq, want, i+7)
		}
	}
}

// Since selects a "missed" record by its last tick, reading back only as far as the job's widest missed
// span; Outcome and Limit select across pages of the script's reads.
func TestRedisHistorySinceAndPages(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	ctx := context.Background()
	since := time.Now().Add(-time.Hour).Truncate(time.Second)
	records := historyBatch(since.Add(-10*time.Minute), 900, 1) // ticks from since-10m to since+5m
	for i := range records {
		if i%50 == 0 {
			records[i].Outcome = "error"
		}
	}
	spanning, before := records[0], records[1] // two missed runs before since: one ends after it
	spanning.Outcome, spanning.LastTick = "missed", since.Add(time.Minute)
	before.Outcome, before.LastTick = "missed", since.Add(-time.Second)
	records[0], records[1] = spanning, before
	if err := backend.AppendRuns(ctx, records); err != nil {
		t.Fatal(err)
	}
	got, err := backend.Runs(ctx, contract.RunQuery{Job: "job-000", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	ticksAfter := 0
	for _, r := range records {
		if !r.Tick.Before(since) {
			ticksAfter++
		}
	}
	if len(got) != ticksAfter+1 || got[len(got)-1].Outcome != "missed" || !got[len(got)-1].Tick.Equal(spanning.Tick) {
		t.Fatalf("since %s: %d records ending with %v; want the %d ticks at or after it and the missed run that spans it",
			since.Format("15:04:05"), len(got), describeRuns(got[max(len(got)-3, 0):]), ticksAfter)
	}
	got, err = backend.Runs(ctx, contract.RunQuery{Job: "job-000", Outcome: "error", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || !got[4].Tick.Equal(records[650].Tick) {
		t.Fatalf("the 5 newest errors: %v; want the records 850, 800, …, 650", describeRuns(got))
	}
	got, err = backend.Runs(ctx, contract.RunQuery{Outcome: "missed"})
	if err != nil || len(got) != 2 {
		t.Fatalf("every missed run: %v, %v; want 2", describeRuns(got), err)
	}
}

func describeRuns(records []contract.RunRecord) []string {
	var out []string
	for _, r := range records {
		out = append(out, r.Job+"@"+r.Tick.Format("15:04:05")+"/"+string(r.Outcome))
	}
	return out
}

// BenchmarkRedisAppendRuns appends batches of 100 records (one tick of 100 jobs) and reports, besides the
// client's time, Redis's time per batch (INFO commandstats) and the Redis memory one stored record takes:
// MEMORY USAGE of a job key holding 1000 records, divided by 1000.
func BenchmarkRedisAppendRuns(b *testing.B) {
	server := redistest.Start(b, "")
	backend := newPrefixedRedis(b, server.URL(), freshPrefix(), historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := backend.AppendRuns(ctx, historyBatch(base, 1000, 1)); err != nil {
		b.Fatal(err)
	}
	bytes, err := admin.MemoryUsage(ctx, backend.historyKey("job-000"), 0).Result()
	if err != nil {
		b.Fatal(err)
	}
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := backend.AppendRuns(ctx, historyBatch(base.Add(time.Duration(i)*time.Millisecond), 100, 100)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(100*b.N), "ns/record")
	b.ReportMetric(float64(evalMicros(b, admin))/float64(b.N), "redis-µs/op")
	b.ReportMetric(float64(bytes)/1000, "redis-bytes/record")
}

// evalMicros returns the µs Redis spent in EVALSHA since its statistics were reset.
func evalMicros(b *testing.B, client *redis.Client) int64 {
	info, err := client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_evalsha:"); ok {
			var calls, usec int64
			if _, err := fmt.Sscanf(rest, "calls=%d,usec=%d", &calls, &usec); err != nil {
				b.Fatalf("INFO commandstats line %q: %v", line, err)
			}
			return usec
		}
	}
	b.Fatal("INFO commandstats has no evalsha line")
	return 0
}

// Bad input is refused, naming it, before anything is sent.
func TestRedisHistoryBadInput(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	ctx := context.Background()
	record := historyBatch(time.Now(), 1, 1)
	bad := historyBatch(time.Now(), 2, 1)
	bad[1].Job = ""
	if err := backend.AppendRuns(ctx, bad); err == nil || !strings.Contains(err.Error(), "run record 2 of 2") {
		t.Fatalf("AppendRuns of a record without a job: %v; want an error naming record 2", err)
	}
	if _, err := backend.Runs(ctx, contract.RunQuery{Limit: -1}); err == nil || !strings.Contains(err.Error(), "-1") {
		t.Fatalf("Runs with limit -1: %v; want an error naming it", err)
	}
	backend.retention = historyRetention{PerJob: -1}
	if err := backend.AppendRuns(ctx, record); err == nil || !strings.Contains(err.Error(), "-1 runs per job") {
		t.Fatalf("AppendRuns with a negative retention: %v; want an error naming it", err)
	}
	backend.retention = historyRetention{}
	if _, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "a"}, 999*time.Millisecond); err == nil || !strings.Contains(err.Error(), "999ms") {
		t.Fatalf("Heartbeat with ttl 999ms: %v; want an error naming it", err)
	}
}
