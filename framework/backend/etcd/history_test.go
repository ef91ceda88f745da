package etcd

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// etcdPrefixes numbers the key prefixes of the stores the tests make, so that no two share keys.
var etcdPrefixes atomic.Int64

// newEtcdStore returns a function opening backends of one fresh key prefix of cluster with retention,
// each closed at t's cleanup, as processes sharing a store would.
func newEtcdStore(t *testing.T, cluster *etcdserver.Cluster, retention backend.Retention) func() *etcdBackend {
	prefix := fmt.Sprintf("/store-%d/", etcdPrefixes.Add(1))
	return func() *etcdBackend {
		backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, Prefix: prefix})
		backend.retention = retention
		return backend
	}
}

// etcdKVRequests returns how many KV requests (Range, Put, DeleteRange, Txn) the members have handled.
func etcdKVRequests(t *testing.T, cluster *etcdserver.Cluster) float64 {
	t.Helper()
	var sum float64
	for _, m := range cluster.Members {
		value, err := m.Metric("grpc_server_handled_total", `grpc_service="etcdserverpb.KV"`)
		if err != nil {
			t.Fatal(err)
		}
		sum += value
	}
	return sum
}

// runRecords returns n records of jobs in turn, a second apart from tick, each with a body of the
// framework's size (about 140 bytes).
func runRecords(n int, tick time.Time, jobs ...string) []contract.RunRecord {
	records := make([]contract.RunRecord, n)
	for i := range records {
		at, job := tick.Add(time.Duration(i)*time.Second), jobs[i%len(jobs)]
		body := fmt.Appendf(nil, `{"j":%q,"t":%d,"a":"0d5c6a1e-8f1b-4c57-9f0e-2b9c7d3e4a11","h":"host","p":7,`+
			`"o":"ok","d":1000}`, job, at.UnixMicro())
		records[i] = contract.RunRecord{Job: job, Tick: at, LastTick: at, Outcome: "ok", Body: body}
	}
	return records
}

// 300 records of three jobs are one KV request (a Txn of 309 operations in groups: 300 puts, and per job
// its entry in the list of jobs, an age delete and a count), and all are read back.
func TestEtcdHistoryAppendOf300RecordsIsOneRequest(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newEtcdStore(t, cluster, historyRetention{})()
	records := runRecords(300, time.Now().Add(-time.Hour), "a", "b", "c")
	before := etcdKVRequests(t, cluster)
	if err := backend.AppendRuns(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	if sent := etcdKVRequests(t, cluster) - before; sent != 1 {
		t.Fatalf("AppendRuns of 300 records took %v KV requests, want 1", sent)
	}
	got, err := backend.Runs(context.Background(), contract.RunQuery{})
	if err != nil || len(got) != 300 {
		t.Fatalf("Runs after 300 records: %d records, %v; want 300", len(got), err)
	}
	before = etcdKVRequests(t, cluster)
	if err := backend.AppendRuns(context.Background(), runRecords(300, time.Now().Add(-time.Minute), "a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	if sent := etcdKVRequests(t, cluster) - before; sent != 1 {
		t.Fatalf("a second AppendRuns of 300 records took %v KV requests, want 1", sent)
	}
}

// historyKeys counts the keys of job's records in etcd, past the age and count retention included.
func historyKeys(t *testing.T, backend *etcdBackend, job string) int64 {
	t.Helper()
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Get(context.Background(), backend.historyJobPrefix(job), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return response.Count
}

// With PerJob 100, a job's keys stay at most 100+margin after one append of 1000 records, and at most
// 100+2×margin while records come in small batches (the count is read once per margin records); the
// newest 100 are the ones read.
func TestEtcdHistoryKeysStayBounded(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	const perJob = 100
	margin := int64(etcdTrimMargin(perJob))
	backend := newEtcdStore(t, cluster, historyRetention{PerJob: perJob})()
	tick := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	records := runRecords(1000, tick, "job")
	if err := backend.AppendRuns(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	if keys := historyKeys(t, backend, "job"); keys > perJob+margin {
		t.Fatalf("after 1000 records in one append: %d keys, want at most %d", keys, perJob+margin)
	}
	tick = tick.Add(time.Hour)
	for i := 0; i < 100; i++ {
		batch := runRecords(7, tick.Add(time.Duration(7*i)*time.Second), "job")
		if err := backend.AppendRuns(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		if keys := historyKeys(t, backend, "job"); keys > perJob+2*margin {
			t.Fatalf("after batch %d of 7 records: %d keys, want at most %d", i, keys, perJob+2*margin)
		}
	}
	got, err := backend.Runs(context.Background(), contract.RunQuery{Job: "job"})
	if err != nil || len(got) != perJob {
		t.Fatalf("Runs: %d records, %v; want %d", len(got), err, perJob)
	}
	if newest := tick.Add(699 * time.Second); !got[0].Tick.Equal(newest) {
		t.Fatalf("newest record has tick %s, want %s", got[0].Tick, newest)
	}
}

// Records older than the age are deleted from etcd at the job's next count, not only hidden.
func TestEtcdHistoryAgeDeletesKeys(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{MaxAge: time.Hour})
	writer := open()
	now := time.Now()
	if err := writer.AppendRuns(context.Background(), runRecords(5, now.Add(-50*time.Minute), "job")); err != nil {
		t.Fatal(err)
	}
	later := open() // another process, whose clock is 20 minutes ahead: the 5 records are past the age for it
	later.now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	if err := later.AppendRuns(context.Background(), runRecords(1, now, "job")); err != nil {
		t.Fatal(err)
	}
	if keys := historyKeys(t, later, "job"); keys != 1 {
		t.Fatalf("%d keys after an append past the age of 5 records, want 1", keys)
	}
}

// A job name with a "/" does not mix with another job's records; a record without a job is refused.
func TestEtcdHistoryJobNames(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newEtcdStore(t, cluster, historyRetention{})()
	tick := time.Now().Add(-time.Minute)
	if err := backend.AppendRuns(context.Background(), runRecords(2, tick, "a", "a/b")); err != nil {
		t.Fatal(err)
	}
	for _, job := range []string{"a", "a/b"} {
		got, err := backend.Runs(context.Background(), contract.RunQuery{Job: job})
		if err != nil || len(got) != 1 || got[0].Job != job {
			t.Fatalf("Runs(%q) = %+v, %v; want its one record", job, got, err)
		}
	}
	err := backend.AppendRuns(context.Background(), runRecords(1, tick, ""))
	if err == nil || !strings.Contains(err.Error(), "without a job name") {
		t.Fatalf("AppendRuns of a record without a job: %v; want an error naming the job", err)
	}
}

// BenchmarkEtcdAppendRuns appends 100 records (of 10 jobs) per op to a 1-member cluster, retention trims
// included.
func BenchmarkEtcdAppendRuns(b *testing.B) {
	cluster := etcdtest.Start(b, etcdserver.Options{Members: 1})
	backend, err := newEtcd(Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, Prefix: "/bench/"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := backend.Close(); err != nil {
			b.Error(err)
		}
	}()
	jobs := make([]string, 10)
	for i := range jobs {
		jobs[i] = fmt.Sprintf("job-%d", i)
	}
	tick := time.Now().Add(-time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := backend.AppendRuns(context.Background(), runRecords(100, tick.Add(time.Duration(i)*100*time.Second), jobs...)); err != nil {
			b.Fatal(err)
		}
	}
}

// A heartbeat after the record's lease expired registers it again (a new lease); Close revokes the lease,
// so the record is gone at once for the other processes.
func TestEtcdProcessLeases(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	backend, other := open(), open()
	record := contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"host"}`)}
	if _, err := backend.Heartbeat(context.Background(), record, time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := other.Processes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the record of a 1 s heartbeat is there after 10 s: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The same ttl (the expired lease is refreshed: not found), a new ttl (a new lease), the same again.
	for i, ttl := range []time.Duration{time.Second, time.Minute, time.Minute} {
		if _, err := backend.Heartbeat(context.Background(), record, ttl); err != nil {
			t.Fatalf("heartbeat %d (ttl %s) after the lease expired: %v", i+1, ttl, err)
		}
		if got, err := other.Processes(context.Background()); err != nil || len(got) != 1 {
			t.Fatalf("after heartbeat %d (ttl %s) after the lease expired: %+v, %v; want the record", i+1, ttl, got, err)
		}
	}
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := other.Processes(context.Background()); err != nil || len(got) != 0 {
		t.Fatalf("after Close of its process: %+v, %v; want no record", got, err)
	}
}

// Since selects a "missed" record by its last tick: one that began before Since and ended after is listed.
func TestEtcdHistorySinceMissed(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newEtcdStore(t, cluster, historyRetention{})()
	tick := time.Now().Add(-time.Hour).Truncate(time.Second)
	records := runRecords(3, tick, "job") // ticks +0s, +1s, +2s
	records[0].Outcome, records[0].LastTick = "missed", tick.Add(10*time.Second)
	if err := backend.AppendRuns(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	got, err := backend.Runs(context.Background(), contract.RunQuery{Job: "job", Since: tick.Add(2 * time.Second)})
	if err != nil || len(got) != 2 || !got[0].Tick.Equal(records[2].Tick) || got[1].Outcome != "missed" {
		t.Fatalf("Runs since +2s: %+v, %v; want the run at +2s and the missed ticks +0s…+10s", got, err)
	}
}

// With the cluster down, history and registry calls fail within the request timeout with an error naming
// etcd's endpoints and their setting.
func TestEtcdHistoryClusterDown(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints()), DialTimeout: 300 * time.Millisecond}, Prefix: "/down/", RequestTimeout: 300 * time.Millisecond})
	if err := backend.AppendRuns(context.Background(), runRecords(1, time.Now(), "job")); err != nil {
		t.Fatal(err)
	}
	cluster.Stop()
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), cluster.Endpoints()) || !strings.Contains(err.Error(), endpointsSetting) {
			t.Fatalf("%s with the cluster down: %v; want an error naming %s and its setting", what, err, cluster.Endpoints())
		}
	}
	check("AppendRuns", backend.AppendRuns(context.Background(), runRecords(1, time.Now(), "job")))
	_, err := backend.Runs(context.Background(), contract.RunQuery{})
	check("Runs", err)
	_, err = backend.LastRuns(context.Background(), []string{"job"})
	check("LastRuns", err)
	_, err = backend.Heartbeat(context.Background(), contract.ProcessRecord{AppID: "app"}, time.Minute)
	check("Heartbeat", err)
	_, err = backend.Processes(context.Background())
	check("Processes", err)
}
