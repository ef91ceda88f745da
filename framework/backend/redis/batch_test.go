package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redistest"
)

// waitFor polls condition until it holds, failing t after 10s.
func waitFor(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// occupySender queues a claim of service by hand and waits until the sender has sent it: with the
// server paused, the sender is then busy with that call and the next claims wait in line.
func occupySender(t *testing.T, backend *redisBackend, service string) *scriptRequest {
	t.Helper()
	tick := time.Now()
	request := backend.newClaimRequest(context.Background(), contract.Claim{Service: service, AppID: "app",
		Tick: tick, HoldTime: time.Minute, Definition: "test", LiveUntil: tick.Add(time.Minute)})
	if err := backend.queue.Enqueue(request); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sender has taken the first claim", func() bool { return request.Sent() })
	return request
}

// A Redis error on one key of a batch fails that claim alone, with the error, and writes nothing for it.
func TestRedisOneBadKeyFailsOnlyItsClaim(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL()+"?read_timeout=10s")
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	poisoned := backend.FenceKey("svc-17")
	if err := client.Set(ctx, poisoned, "not a fence", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := claim(backend, "warm-up", "app", time.Now(), time.Second); err != nil { // loads the script
		t.Fatal(err)
	}
	before := scriptCalls(t, server)
	if err := server.Pause(); err != nil {
		t.Fatal(err)
	}
	first := occupySender(t, backend, "first")
	tick := time.Now()
	results := make(chan error, 50)
	for i := 0; i < 50; i++ {
		go func(service string) {
			selected, err := claim(backend, service, "app", tick, time.Minute)
			if err == nil && selected != "app" {
				err = fmt.Errorf("%s: selected %q", service, selected)
			}
			results <- err
		}(fmt.Sprintf("svc-%d", i))
	}
	waitFor(t, "the 50 claims wait in line", func() bool { return backend.queue.Len() == 50 })
	if err := server.Resume(); err != nil {
		t.Fatal(err)
	}
	if reply := <-first.Replied(); reply.Err != nil || reply.Value.code != codeWon {
		t.Fatalf("the first claim: %+v; want it won", reply)
	} else if claimed, err := backend.result(first, reply); err != nil || claimed.Holder != "app" {
		t.Fatalf("the first claim: %q, %v; want it won by app", claimed.Holder, err)
	}
	var failed []error
	for i := 0; i < 50; i++ {
		if err := <-results; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Error(), "WRONGTYPE") || errors.Is(failed[0], contract.ErrTickClosed) {
		t.Fatalf("%d of 50 claims failed (%v); want exactly the claim of the poisoned key, with WRONGTYPE", len(failed), failed)
	}
	if value, err := client.Get(ctx, poisoned).Result(); err != nil || value != "not a fence" {
		t.Fatalf("the poisoned key holds %q, %v; nothing may be written for a failed claim", value, err)
	}
	if calls := scriptCalls(t, server) - before; calls != 2 {
		t.Fatalf("%d script calls; want 2: the first claim, then the 50 in one call, none re-sent", calls)
	}
}

// A claim Redis ran whose reply missed the read timeout is re-sent and learns that it won.
func TestRedisLostReplyIsResentAndWon(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL()) // the default 500ms read timeout
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	if _, err := claim(backend, "warm-up", "app", time.Now(), time.Second); err != nil {
		t.Fatal(err)
	}
	before := scriptCalls(t, server)
	stalled := make(chan error, 1)
	go func() { stalled <- client.Do(ctx, "DEBUG", "SLEEP", "1").Err() }()
	probe := redis.NewClient(&redis.Options{Addr: client.Options().Addr, ReadTimeout: 20 * time.Millisecond,
		MaxRetries: -1, DisableIdentity: true})
	defer probe.Close()
	waitFor(t, "Redis stalls", func() bool { return probe.Ping(ctx).Err() != nil })
	tick := time.Now()
	got, err := claim(backend, "svc", "app", tick, 5*time.Second)
	if err != nil || got != "app" {
		t.Fatalf("claim across a 1s stall = %q, %v; want app", got, err)
	}
	if err := <-stalled; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}
	if calls := scriptCalls(t, server) - before; calls < 2 {
		t.Fatalf("the claim was sent %d times: the stall did not outlast the read timeout", calls)
	}
	if winner := client.HGet(ctx, backend.FenceKey("svc"), "winner").Val(); winner != "app" {
		t.Fatalf("the fence names %q, want app", winner)
	}
	if got, err := claim(backend, "svc", "other", tick, 5*time.Second); err != nil || got != "app" {
		t.Fatalf("another app's claim of the tick = %q, %v; want app: one winner", got, err)
	}
}

// A claim waiting in line returns ctx's error when ctx ends, and is never sent.
func TestRedisClaimInLineReturnsWhenCtxEnds(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL()+"?read_timeout=10s")
	client := server.Client()
	defer client.Close()
	if err := server.Pause(); err != nil {
		t.Fatal(err)
	}
	first := occupySender(t, backend, "first")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := backend.ClaimTick(ctx, contract.Claim{Service: "queued", AppID: "app", Tick: time.Now(), HoldTime: time.Minute})
		done <- err
	}()
	waitFor(t, "the claim waits in line", func() bool { return backend.queue.Len() == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("claim in line after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second): // the sender is stuck for 10s in the paused call
		t.Fatal("the claim in line did not return when its ctx ended")
	}
	if err := server.Resume(); err != nil {
		t.Fatal(err)
	}
	<-first.Replied()
	if _, err := claim(backend, "after", "app", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(context.Background(), backend.FenceKey("queued")).Val(); n != 0 {
		t.Fatal("the abandoned claim was sent")
	}
}

// A claim already sent is answered with its result when its ctx ends meanwhile.
func TestRedisSentClaimIsAnsweredAfterCtxEnds(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL()+"?read_timeout=10s")
	if err := server.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tick := time.Now()
	c := contract.Claim{Service: "sent", AppID: "app", Tick: tick, HoldTime: time.Minute, LiveUntil: tick.Add(time.Minute)}
	request := backend.newClaimRequest(ctx, c)
	if err := backend.queue.Enqueue(request); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the claim is sent", func() bool { return request.Sent() })
	cancel()
	done := make(chan error, 1)
	go func() {
		reply, err := backend.queue.Await(ctx, request)
		if err == nil {
			var claimed contract.Claimed
			if claimed, err = backend.result(request, reply); err == nil && claimed.Holder != "app" {
				err = fmt.Errorf("selected %q", claimed.Holder)
			}
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // await sees the ended ctx first
	if err := server.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("a sent claim whose ctx ended: %v; want its result, app", err)
	}
}

// When ctx ends while a failed claim waits to be sent again, the claim returns its last error: it may
// have been applied, so it is neither ctx's error nor "not won".
func TestRedisResendStopsWhenCtxEnds(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	server.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := backend.ClaimTick(ctx, contract.Claim{Service: "svc", AppID: "app", Tick: time.Now(), HoldTime: time.Minute})
	if err == nil || errors.Is(err, contract.ErrTickClosed) || !strings.Contains(err.Error(), "ctx ended") {
		t.Fatalf("claim with Redis down and a 300ms ctx = %v; want the last call error, saying ctx ended", err)
	}
}
