package etcd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// A heartbeat is one KV request (a Txn) whatever the orders, the first one (a Grant) and the next ones (a
// KeepAliveOnce) alike; the orders come back whole, job names with slashes and percents included.
func TestEtcdHeartbeatIsOneKVRequest(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	operator, process := open(), open()
	ctx := context.Background()
	paused := map[string]string{"report": "by ana", "a/b": "", "100%": "line 1\nline 2", "z": "«zoë»"}
	for job, note := range paused {
		setPausedOrFail(t, operator, job, note)
	}
	now := time.Now()
	for i := range 5 {
		request := contract.ControlRequest{ID: fmt.Sprintf("r%d", i), Made: now.Add(time.Duration(i-5) * time.Second),
			Body: []byte(`{"j":"report","k":"run"}`)}
		if err := operator.AddRequest(ctx, request); err != nil {
			t.Fatal(err)
		}
	}
	record := contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"host"}`)}
	for i := range 3 {
		before := etcdKVRequests(t, cluster)
		orders, err := process.Heartbeat(ctx, record, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if sent := etcdKVRequests(t, cluster) - before; sent != 1 {
			t.Fatalf("heartbeat %d took %v KV requests, want 1", i+1, sent)
		}
		if !maps.Equal(orders.Paused, paused) || len(orders.Requests) != 5 ||
			orders.Requests[0].ID != "r0" || orders.Requests[4].ID != "r4" {
			t.Fatalf("heartbeat %d: orders %+v; want the 4 paused jobs %q and requests r0…r4", i+1, orders, paused)
		}
	}
}

// answer is an answer of app a.
var answer = contract.ControlAnswer{AppID: "a", Body: []byte(`{"o":"ok"}`)}

func setPausedOrFail(t *testing.T, backend *etcdBackend, job, note string) {
	t.Helper()
	if err := backend.SetPaused(context.Background(), job, true, note); err != nil {
		t.Fatalf("SetPaused(%q, %q): %v", job, note, err)
	}
}

// A paused key's value is the time of the pause, then a line break and the note when there is one; the
// value the framework wrote before notes were kept, the time only, reads as a pause without a note, as
// does a value without a line break written by hand.
func TestEtcdPauseValues(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	operator, process := open(), open()
	ctx := context.Background()
	setPausedOrFail(t, operator, "noted", "line 1\nline 2")
	setPausedOrFail(t, operator, "plain", "")
	client, err := operator.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	for key, value := range map[string]string{"before-notes": "2026-11-30T08:00:00Z", "by-hand": "1"} {
		if _, err := client.Put(ctx, operator.pausedKey(key), value); err != nil {
			t.Fatal(err)
		}
	}
	for job, want := range map[string]*regexp.Regexp{
		"noted": regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nline 1\nline 2$`),
		"plain": regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`),
	} {
		response, err := client.Get(ctx, operator.pausedKey(job))
		if err != nil || len(response.Kvs) != 1 || !want.Match(response.Kvs[0].Value) {
			t.Fatalf("the value of %s: %+v, %v; want it to match %s", operator.pausedKey(job), response, err, want)
		}
	}
	want := map[string]string{"noted": "line 1\nline 2", "plain": "", "before-notes": "", "by-hand": ""}
	if paused, err := process.Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused = %q, %v; want %q", paused, err, want)
	}
	orders, err := process.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte("{}")}, time.Minute)
	if err != nil || !maps.Equal(orders.Paused, want) {
		t.Fatalf("the heartbeat's paused jobs = %q, %v; want %q", orders.Paused, err, want)
	}
}

// Requests and answers are put with a lease of ControlRequestTTL, which Close does not revoke: they
// outlive the operator's process that made them.
func TestEtcdControlKeysExpire(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	open := newEtcdStore(t, cluster, historyRetention{})
	operator, process := open(), open()
	ctx := context.Background()
	request := contract.ControlRequest{ID: "r1", Made: time.Now(), Body: []byte(`{"j":"report","k":"kill"}`)}
	if err := operator.AddRequest(ctx, request); err != nil {
		t.Fatal(err)
	}
	if err := operator.Answer(ctx, "r1", answer); err != nil {
		t.Fatal(err)
	}
	if err := operator.Close(); err != nil {
		t.Fatal(err)
	}
	client, err := process.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Get(ctx, process.controlPrefix(), clientv3.WithPrefix())
	if err != nil || len(response.Kvs) != 2 {
		t.Fatalf("control keys after the operator's Close: %v, %v; want the request and its answer", response, err)
	}
	for _, kv := range response.Kvs {
		lease, err := client.TimeToLive(ctx, clientv3.LeaseID(kv.Lease))
		if err != nil || lease.GrantedTTL != int64(contract.ControlRequestTTL/time.Second) || lease.TTL <= 0 {
			t.Fatalf("lease of %s: %+v, %v; want a live lease of ControlRequestTTL", kv.Key, lease, err)
		}
	}
}

// The requests and answers of the framework's previous format, under their old keys, are not read: a
// heartbeat and Answers return none of them, and no error. An app id with a slash and a percent comes back
// whole.
func TestEtcdControlPreviousFormatAndEscapes(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newEtcdStore(t, cluster, historyRetention{})()
	ctx := context.Background()
	client, err := backend.conn.get()
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]string{
		backend.controlPrefix() + "requests/" + encodeMicros(time.Now()) + "/old":    `{"ID":"old","Job":"report","Kind":"run"}`,
		backend.controlPrefix() + "answers/old/" + encodeMicros(time.Now()) + "/app": `{"AppID":"app","Outcome":"ok"}`,
	}
	for key, value := range old {
		if _, err := client.Put(ctx, key, value); err != nil {
			t.Fatal(err)
		}
	}
	orders, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte("{}")}, time.Minute)
	if err != nil || len(orders.Requests) != 0 {
		t.Fatalf("Heartbeat with a request of the previous format = %+v, %v; want no request, no error", orders, err)
	}
	if answers, err := backend.Answers(ctx, "old"); err != nil || len(answers) != 0 {
		t.Fatalf("Answers with an answer of the previous format = %+v, %v; want none, no error", answers, err)
	}
	slashed := contract.ControlAnswer{AppID: "host/a%2F", Body: []byte("x")}
	if err := backend.Answer(ctx, "id/1", slashed); err != nil {
		t.Fatal(err)
	}
	if answers, err := backend.Answers(ctx, "id/1"); err != nil || len(answers) != 1 || answers[0].AppID != slashed.AppID {
		t.Fatalf("Answers(id/1) = %+v, %v; want the answer of %q", answers, err, slashed.AppID)
	}
}

// Bad input is an error naming the field and what is valid; an ended ctx returns its error.
func TestEtcdControlBadInput(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newEtcdStore(t, cluster, historyRetention{})()
	ctx := context.Background()
	made := time.Now()
	body := []byte(`{"j":"j","k":"kill"}`)
	for want, request := range map[string]contract.ControlRequest{
		"ControlRequest.ID":   {Made: made, Body: body},
		"ControlRequest.Made": {ID: "x", Body: body},
		"ControlRequest.Body": {ID: "x", Made: made},
		"":                    {ID: "x", Made: made, Body: body},
	} {
		err := backend.AddRequest(ctx, request)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("AddRequest(%+v): %v; want an error naming %s", request, err, want)
		}
	}
	if err := backend.SetPaused(ctx, "", true, "note"); err == nil || !strings.Contains(err.Error(), "job name") {
		t.Errorf("SetPaused of an empty job: %v; want an error naming the job", err)
	}
	if err := backend.Answer(ctx, "", answer); err == nil {
		t.Error("Answer to an empty request id succeeded")
	}
	if err := backend.Answer(ctx, "x", contract.ControlAnswer{Body: answer.Body}); err == nil ||
		!strings.Contains(err.Error(), "ControlAnswer.AppID") {
		t.Errorf("Answer without an app id: %v; want an error naming ControlAnswer.AppID", err)
	}
	if _, err := backend.Answers(ctx, ""); err == nil {
		t.Error("Answers of an empty request id succeeded")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	checkCanceled := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v; want context.Canceled", what, err)
		}
	}
	checkCanceled("SetPaused", backend.SetPaused(canceled, "j", true, ""))
	checkCanceled("AddRequest", backend.AddRequest(canceled, contract.ControlRequest{ID: "x", Made: made, Body: body}))
	checkCanceled("Answer", backend.Answer(canceled, "x", answer))
	_, err := backend.Answers(canceled, "x")
	checkCanceled("Answers", err)
}

// With the cluster down, control calls fail within the request timeout with an error naming etcd's
// endpoints and their setting.
func TestEtcdControlClusterDown(t *testing.T) {
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 1})
	backend := newTestEtcd(t, Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints()), DialTimeout: 300 * time.Millisecond}, Prefix: "/down/", RequestTimeout: 300 * time.Millisecond})
	ctx := context.Background()
	if err := backend.SetPaused(ctx, "job", true, "note"); err != nil {
		t.Fatal(err)
	}
	cluster.Stop()
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), cluster.Endpoints()) || !strings.Contains(err.Error(), endpointsSetting) {
			t.Fatalf("%s with the cluster down: %v; want an error naming %s and its setting", what, err, cluster.Endpoints())
		}
	}
	check("SetPaused", backend.SetPaused(ctx, "job", false, ""))
	check("AddRequest", backend.AddRequest(ctx, contract.ControlRequest{ID: "r", Made: time.Now(), Body: []byte("run")}))
	check("Answer", backend.Answer(ctx, "r", answer))
	_, err := backend.Answers(ctx, "r")
	check("Answers", err)
}

// BenchmarkEtcdHeartbeat is one heartbeat of a process on a 1-member cluster (a KeepAliveOnce and the Txn),
// with orders to read: 2 paused jobs and 3 live requests.
func BenchmarkEtcdHeartbeat(b *testing.B) {
	cluster := etcdtest.Start(b, etcdserver.Options{Members: 1})
	backend, err := newEtcd(Config{Client: clientv3.Config{Endpoints: endpointList(cluster.Endpoints())}, Prefix: "/bench-heartbeat/"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := backend.Close(); err != nil {
			b.Error(err)
		}
	}()
	ctx := context.Background()
	for _, job := range []string{"report", "billing"} {
		if err := backend.SetPaused(ctx, job, true, "paused by "+job); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 3 {
		request := contract.ControlRequest{ID: fmt.Sprint(i), Made: time.Now(), Body: []byte(`{"j":"report","k":"run"}`)}
		if err := backend.AddRequest(ctx, request); err != nil {
			b.Fatal(err)
		}
	}
	record := contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"host","p":1,"s":1700000000000000,` +
		`"r":[{"j":"report","t":1700000000000000,"s":1700000000000000}]}`)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		orders, err := backend.Heartbeat(ctx, record, time.Minute)
		if err != nil || len(orders.Paused) != 2 || len(orders.Requests) != 3 {
			b.Fatalf("Heartbeat: %+v, %v; want 2 paused jobs and 3 requests", orders, err)
		}
	}
}
