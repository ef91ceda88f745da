package claimqueue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// Re-sends stop at the end of the hold window, or one call bound before the entry's next tick when that is
// earlier, so an entry never overlaps itself because its claim is still being re-sent.
func TestResendDeadline(t *testing.T) {
	tick := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	bound := 1500 * time.Millisecond
	cases := []struct {
		name      string
		hold      time.Duration
		nextTick  time.Time // zero: LiveUntil names no next tick
		wantAfter time.Duration
	}{
		{"every second, hold 2s: no time for a re-send", 2 * time.Second, tick.Add(time.Second), -500 * time.Millisecond},
		{"every 10 s, hold 2s: the hold window", 2 * time.Second, tick.Add(10 * time.Second), 2 * time.Second},
		{"every 10 s, hold 1h: before the next tick", time.Hour, tick.Add(10 * time.Second), 8500 * time.Millisecond},
		{"no next tick named", 2 * time.Second, time.Time{}, 2 * time.Second},
	}
	for _, c := range cases {
		claim := contract.Claim{Tick: tick, HoldTime: c.hold, LiveUntil: tick.Add(c.hold)}
		if !c.nextTick.IsZero() {
			claim.LiveUntil = c.nextTick.Add(c.hold)
		}
		if got := resendDeadline(claim, bound); !got.Equal(tick.Add(c.wantAfter)) {
			t.Errorf("%s: re-sends until tick%+v, want tick%+v", c.name, got.Sub(tick), c.wantAfter)
		}
	}
}

// The queue carries typed payloads to flush and typed replies back: a request is answered with flush's R,
// or fails with its error.
func TestQueueTypedReplies(t *testing.T) {
	queue := New(4, func(batch []*Request[int, string]) []*Request[int, string] {
		for _, request := range TakeLive(batch, time.Now()) {
			if request.Payload < 0 {
				request.Fail(errors.New("negative"))
			} else {
				request.Answer(strings.Repeat("x", request.Payload))
			}
		}
		return nil
	})
	defer queue.Close()
	tick := time.Now()
	c := contract.Claim{Service: "svc", Tick: tick, HoldTime: time.Minute, LiveUntil: tick.Add(time.Minute)}
	reply, err := queue.Submit(context.Background(), NewRequest[int, string](context.Background(), c, 3, "key", time.Minute), "test")
	if err != nil || reply.Err != nil || reply.Value != "xxx" {
		t.Fatalf("Submit(3) = %+v, %v; want xxx", reply, err)
	}
	reply, err = queue.Submit(context.Background(), NewRequest[int, string](context.Background(), c, -1, "key", time.Minute), "test")
	if err != nil || reply.Err == nil || reply.Value != "" {
		t.Fatalf("Submit(-1) = %+v, %v; want the error negative and no value", reply, err)
	}
}

// A request whose call failed is sent again after retryPause: a claim while its window is open, a run
// lease release within ReleaseWindow; a release whose ctx has ended is not sent again.
func TestQueueResendsClaimsAndReleases(t *testing.T) {
	var mu sync.Mutex
	sends := map[string]int{}
	queue := New(4, func(batch []*Request[string, bool]) (retries []*Request[string, bool]) {
		for _, request := range TakeLive(batch, time.Now()) {
			mu.Lock()
			sends[request.Payload]++
			first := sends[request.Payload] == 1
			mu.Unlock()
			switch {
			case !first:
				request.Answer(true)
			case request.Retry(errors.New("reply lost"), time.Now()):
				retries = append(retries, request)
			default:
				request.Fail(request.LastError(""))
			}
		}
		return retries
	})
	defer queue.Close()
	tick := time.Now()
	c := contract.Claim{Service: "svc", Tick: tick, HoldTime: time.Minute, LiveUntil: tick.Add(time.Minute)}
	reply, err := queue.Submit(context.Background(), NewRequest[string, bool](context.Background(), c, "claim", "key", time.Minute), "test")
	if err != nil || reply.Err != nil || !reply.Value {
		t.Fatalf("claim whose first reply was lost = %+v, %v; want answered by its re-send", reply, err)
	}
	release := NewRelease[string, bool](context.Background(), "svc", "release", "key", time.Minute)
	if err := queue.Enqueue(release); err != nil {
		t.Fatal(err)
	}
	if reply = <-release.Replied(); reply.Err != nil || !reply.Value {
		t.Fatalf("release whose first reply was lost = %+v; want answered by its re-send", reply)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	abandoned := NewRelease[string, bool](ended, "svc", "abandoned", "key", time.Minute)
	abandoned.state.Store(stateSent) // as if taken before its ctx ended
	abandoned.sends = 1
	if abandoned.Retry(errors.New("reply lost"), time.Now()) || !strings.Contains(abandoned.LastError("").Error(), "ctx ended") {
		t.Fatalf("a release whose ctx ended is re-sent, or its error does not say why: %v", abandoned.LastError(""))
	}
	mu.Lock()
	defer mu.Unlock()
	if sends["claim"] != 2 || sends["release"] != 2 {
		t.Fatalf("sends = %v; want the claim and the release each sent twice", sends)
	}
}
