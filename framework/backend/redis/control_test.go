package redis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// controlOrders pauses 10 jobs, each with a note, and adds 5 requests made a second apart, the oldest
// first, and returns them as a heartbeat should.
func controlOrders(t testing.TB, backend *redisBackend) contract.Orders {
	t.Helper()
	ctx := context.Background()
	want := contract.Orders{Paused: make(map[string]string)}
	for i := 0; i < 10; i++ {
		job := fmt.Sprintf("job-%02d", 9-i)
		note := fmt.Sprintf("paused by operator %d: «maintenance»", i)
		if err := backend.SetPaused(ctx, job, true, note); err != nil {
			t.Fatal(err)
		}
		want.Paused[job] = note
	}
	now := time.Now()
	for i := 0; i < 5; i++ {
		request := contract.ControlRequest{ID: fmt.Sprintf("id-%d", 4-i), Made: now.Add(-time.Duration(5-i) * time.Second),
			Body: fmt.Appendf(nil, `{"j":"job-%02d","k":"run"}`, i)}
		if err := backend.AddRequest(ctx, request); err != nil {
			t.Fatal(err)
		}
		want.Requests = append(want.Requests, request)
	}
	return want
}

// A heartbeat that returns 10 paused jobs and 5 requests is one call from the client and one script run
// in Redis: the orders cost no command of their own.
func TestRedisHeartbeatRoundTrips(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	if err := heartbeatScript.Load(ctx, admin).Err(); err != nil { // as the first call after Redis starts does
		t.Fatal(err)
	}
	want := controlOrders(t, backend)
	counter := &roundTrips{}
	backend.client.AddHook(counter)
	evalsBefore := commandCalls(t, admin, "evalsha") + commandCalls(t, admin, "eval")
	var got contract.Orders
	checkCalls(t, counter, "Heartbeat with orders", 1, func() (err error) {
		got, err = backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"h"}`)}, time.Minute)
		return err
	})
	if evals := commandCalls(t, admin, "evalsha") + commandCalls(t, admin, "eval") - evalsBefore; evals != 1 {
		t.Fatalf("Redis ran %d scripts for one Heartbeat; want 1", evals)
	}
	if !maps.Equal(got.Paused, want.Paused) || len(got.Requests) != len(want.Requests) {
		t.Fatalf("Heartbeat returned %+v; want %+v", got, want)
	}
	for i, request := range want.Requests {
		g := got.Requests[i]
		if g.ID != request.ID || string(g.Body) != string(request.Body) || g.Made.UnixMicro() != request.Made.UnixMicro() {
			t.Fatalf("request %d: %+v; want %+v (oldest first, Made to the µs)", i, g, request)
		}
	}
}

// A pause, a resume and Paused are one round trip each (MULTI/EXEC); the pause writes the set and the
// notes, the resume removes the job from both.
func TestRedisPauseRoundTrips(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	counter := &roundTrips{}
	backend.client.AddHook(counter)
	if err := backend.client.Ping(ctx).Err(); err != nil { // dials: the connection's setup is not counted
		t.Fatal(err)
	}
	checkCalls(t, counter, "SetPaused (pause)", 1, func() error { return backend.SetPaused(ctx, "report", true, "by ana") })
	if member, note := admin.SIsMember(ctx, backend.pausedKey(), "report").Val(),
		admin.HGet(ctx, backend.pauseNotesKey(), "report").Val(); !member || note != "by ana" {
		t.Fatalf("after a pause: in %s %v, note %q; want true, \"by ana\"", backend.pausedKey(), member, note)
	}
	var paused map[string]string
	checkCalls(t, counter, "Paused", 1, func() (err error) { paused, err = backend.Paused(ctx); return err })
	if want := map[string]string{"report": "by ana"}; !maps.Equal(paused, want) {
		t.Fatalf("Paused = %q; want %q", paused, want)
	}
	checkCalls(t, counter, "SetPaused (resume)", 1, func() error { return backend.SetPaused(ctx, "report", false, "") })
	if keys := admin.Exists(ctx, backend.pausedKey(), backend.pauseNotesKey()).Val(); keys != 0 {
		t.Fatalf("after the resume of the only paused job, %d of %s and %s exist; want none", keys,
			backend.pausedKey(), backend.pauseNotesKey())
	}
}

// The paused jobs of a deployment from before pause notes (the set only) stay paused, without a note; a
// note left in the hash by such a program's resume (SREM only) is not read for a job that is not paused,
// and a new pause replaces it.
func TestRedisPausedBeforeNotes(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	if err := admin.SAdd(ctx, backend.pausedKey(), "old-job", "naïve job").Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.HSet(ctx, backend.pauseNotesKey(), "resumed", "stale note").Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"old-job": "", "naïve job": ""}
	checkRedisPaused(t, backend, want)
	if err := backend.SetPaused(ctx, "resumed", true, ""); err != nil {
		t.Fatal(err)
	}
	want["resumed"] = ""
	checkRedisPaused(t, backend, want)
}

// checkRedisPaused checks that Paused and a heartbeat of backend read the paused jobs want.
func checkRedisPaused(t *testing.T, backend *redisBackend, want map[string]string) {
	t.Helper()
	ctx := context.Background()
	if paused, err := backend.Paused(ctx); err != nil || !maps.Equal(paused, want) {
		t.Fatalf("Paused = %q, %v; want %q", paused, err, want)
	}
	orders, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte("{}")}, time.Minute)
	if err != nil || !maps.Equal(orders.Paused, want) {
		t.Fatalf("Heartbeat's paused jobs = %q, %v; want %q", orders.Paused, err, want)
	}
}

// The control keys are the documented ones, apart from the fences: the paused set never expires, the
// requests and the answers expire within ControlRequestTTL, and a heartbeat drops the requests made more
// than ControlRequestTTL ago from Redis.
func TestRedisControlKeys(t *testing.T) {
	server := redistest.Start(t, "")
	prefix := freshPrefix()
	backend := newPrefixedRedis(t, server.URL(), prefix, historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	if _, err := claim(backend, "report", "app", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	fence := admin.HGetAll(ctx, backend.FenceKey("report")).Val()
	controlOrders(t, backend)
	old := contract.ControlRequest{ID: "old", Made: now.Add(-2 * contract.ControlRequestTTL), Body: []byte("kill")}
	if err := backend.AddRequest(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := backend.Answer(ctx, "id-1", contract.ControlAnswer{AppID: "app", Body: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte(`{"a":"app","h":"h"}`)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if size := admin.ZCard(ctx, backend.requestsKey()).Val(); size != 5 {
		t.Fatalf("after a heartbeat, %s holds %d requests; want 5 (not the one made 2 TTLs ago)", backend.requestsKey(), size)
	}
	if after := admin.HGetAll(ctx, backend.FenceKey("report")).Val(); fmt.Sprint(after) != fmt.Sprint(fence) {
		t.Fatalf("fence changed from %v to %v", fence, after)
	}
	ttls := map[string]func(time.Duration) bool{
		prefix + "distributed:report":          func(ttl time.Duration) bool { return ttl == -1 },
		prefix + "control:paused":              func(ttl time.Duration) bool { return ttl == -1 },
		prefix + "control:pause-notes":         func(ttl time.Duration) bool { return ttl == -1 },
		prefix + "control:request-records":     func(ttl time.Duration) bool { return ttl > 0 && ttl <= contract.ControlRequestTTL },
		prefix + "control:answer-records:id-1": func(ttl time.Duration) bool { return ttl > 0 && ttl <= contract.ControlRequestTTL },
		prefix + "process-record:app":          func(ttl time.Duration) bool { return ttl > 0 },
		prefix + "process-records":             func(ttl time.Duration) bool { return ttl > 0 },
	}
	keys := admin.Keys(ctx, prefix+"*").Val()
	for _, key := range keys {
		if ok := ttls[key]; ok == nil || !ok(admin.PTTL(ctx, key).Val()) {
			t.Fatalf("key %s with TTL %s is not a documented key or has the wrong TTL; the keys are %v", key,
				admin.PTTL(ctx, key).Val(), keys)
		}
	}
	if len(keys) != len(ttls) {
		t.Fatalf("the keys are %v; want %d", keys, len(ttls))
	}
}

// The requests and answers of the framework's previous format, under their old keys, are not read: a
// heartbeat and Answers return none of them, and no error.
func TestRedisIgnoresPreviousControlFormat(t *testing.T) {
	server := redistest.Start(t, "")
	prefix := freshPrefix()
	backend := newPrefixedRedis(t, server.URL(), prefix, historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	made := time.Now().UnixMilli()
	old := fmt.Sprintf(`{"i":"old","j":"report","k":"run","m":%d}`, made)
	if err := admin.ZAdd(ctx, prefix+"control:requests", redis.Z{Score: float64(made), Member: old}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.RPush(ctx, prefix+"control:answers:old", `{"a":"app","o":"ok","t":1}`).Err(); err != nil {
		t.Fatal(err)
	}
	orders, err := backend.Heartbeat(ctx, contract.ProcessRecord{AppID: "app", Body: []byte("{}")}, time.Minute)
	if err != nil || len(orders.Requests) != 0 {
		t.Fatalf("Heartbeat with a request of the previous format = %+v, %v; want no request, no error", orders, err)
	}
	if answers, err := backend.Answers(ctx, "old"); err != nil || len(answers) != 0 {
		t.Fatalf("Answers with an answer of the previous format = %+v, %v; want none, no error", answers, err)
	}
}

// Bad input is refused before anything is sent, naming what is wrong and what is valid; a cancelled ctx
// returns its error; with Redis down, every method fails naming the address, never the password.
func TestRedisControlErrors(t *testing.T) {
	server := redistest.Start(t, "s3cret")
	backend := newPrefixedRedis(t, server.URL(), freshPrefix(), historyRetention{})
	ctx := context.Background()
	made := time.Now()
	body := []byte(`{"j":"j","k":"run"}`)
	for want, request := range map[string]contract.ControlRequest{
		"without an ID":                   {Made: made, Body: body},
		"ControlRequest.Made is required": {ID: "x", Body: body},
		"ControlRequest.Body":             {ID: "x", Made: made},
	} {
		if err := backend.AddRequest(ctx, request); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AddRequest(%+v): %v; want an error saying %q", request, err, want)
		}
	}
	if err := backend.SetPaused(ctx, "", true, "note"); err == nil || !strings.Contains(err.Error(), "job name is required") {
		t.Errorf("SetPaused of an empty job: %v; want an error saying the job name is required", err)
	}
	answer := contract.ControlAnswer{AppID: "a", Body: []byte(`{"o":"ok"}`)}
	err := backend.Answer(ctx, "", answer)
	if err == nil || !strings.Contains(err.Error(), "request ID") {
		t.Errorf("Answer to an empty request id: %v; want an error naming the request ID", err)
	}
	if err := backend.Answer(ctx, "x", contract.ControlAnswer{AppID: "a"}); err == nil || !strings.Contains(err.Error(), "ControlAnswer.Body") {
		t.Errorf("Answer without a body: %v; want an error naming ControlAnswer.Body", err)
	}
	if _, err := backend.Answers(ctx, ""); err == nil || !strings.Contains(err.Error(), "request id") {
		t.Errorf("Answers of an empty request id: %v; want an error naming the request id", err)
	}
	calls := map[string]func(context.Context) error{
		"SetPaused": func(ctx context.Context) error { return backend.SetPaused(ctx, "j", true, "note") },
		"AddRequest": func(ctx context.Context) error {
			return backend.AddRequest(ctx, contract.ControlRequest{ID: "x", Made: made, Body: body})
		},
		"Answer":  func(ctx context.Context) error { return backend.Answer(ctx, "x", answer) },
		"Answers": func(ctx context.Context) error { _, err := backend.Answers(ctx, "x"); return err },
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
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

// BenchmarkRedisHeartbeat is one heartbeat that returns 10 paused jobs and 5 requests; it reports Redis's
// time per heartbeat (INFO commandstats) besides the client's.
func BenchmarkRedisHeartbeat(b *testing.B) {
	server := redistest.Start(b, "")
	backend := newPrefixedRedis(b, server.URL(), freshPrefix(), historyRetention{})
	admin := server.Client()
	defer admin.Close()
	ctx := context.Background()
	controlOrders(b, backend)
	record := contract.ProcessRecord{AppID: "app-1234", Body: []byte(`{"a":"app-1234","h":"host-1","p":4242,` +
		`"f":"/srv/app","b":"redis redis://127.0.0.1:6379/0","v":"v1.2.3","s":1700000000000000,` +
		`"t":1700000000000000,"r":[{"j":"report","t":1700000000000000,"s":1700000000000000}]}`)}
	if _, err := backend.Heartbeat(ctx, record, time.Minute); err != nil { // loads the script
		b.Fatal(err)
	}
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		orders, err := backend.Heartbeat(ctx, record, time.Minute)
		if err != nil || len(orders.Paused) != 10 || len(orders.Requests) != 5 {
			b.Fatalf("Heartbeat: %d paused, %d requests, %v; want 10, 5", len(orders.Paused), len(orders.Requests), err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(evalMicros(b, admin))/float64(b.N), "redis-µs/op")
}
