package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/internal/redisserver"
	"github.com/hadeframe/hade/internal/redistest"
)

func newTestRedis(t *testing.T, rawURL string) *redisBackend {
	t.Helper()
	backend, err := newRedis(rawURL, "test:", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = backend.Close() })
	return backend
}

// Over 1000 ticks of 3 services the provider keeps one key per service, and no key ever expires; a key
// written with a TTL by an older version loses it at the next claim.
func TestRedisKeysStayFlatAndNeverExpire(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	client := server.Client()
	defer client.Close()
	ctx := context.Background()
	base := time.Now().Truncate(time.Second)
	hold := time.Minute // the ticks stay claimable however slow the machine
	for i := 1; i <= 1000; i++ {
		for _, service := range []string{"a", "b", "c"} {
			if _, err := claim(backend, service, "app", base.Add(time.Duration(i)*time.Millisecond), hold); err != nil {
				t.Fatal(err)
			}
		}
		if i%250 == 0 {
			if size := client.DBSize(ctx).Val(); size != 3 {
				t.Fatalf("after %d ticks Redis holds %d keys, want 3 (one per service)", i, size)
			}
		}
	}
	keys := client.Keys(ctx, "*").Val()
	if strings.Join(keys, ",") == "" || !strings.HasPrefix(keys[0], "test:distributed:") {
		t.Fatalf("keys %v, want test:distributed:<service>", keys)
	}
	for _, key := range keys {
		if ttl := client.TTL(ctx, key).Val(); ttl != -1 {
			t.Fatalf("key %s has TTL %s, want none (-1): a fence never expires", key, ttl)
		}
	}
	old := backend.FenceKey("old")
	if err := client.HSet(ctx, old, "tick", base.UnixMicro(), "winner", "old-app").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Expire(ctx, old, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := claim(backend, "old", "app", base, hold); err != nil || got != "old-app" {
		t.Fatalf("claim of the tick an older version's fence holds = %q, %v; want old-app", got, err)
	}
	if ttl := client.TTL(ctx, old).Val(); ttl != -1 {
		t.Fatalf("the older version's key still has TTL %s after a claim read it", ttl)
	}
}

// With Redis down, each claim fails (never ErrTickClosed: that would read as "someone else ran it")
// after its re-sends, nothing leaks, and claims work again once Redis is back.
func TestRedisOutageFailsClosedLeaksNothingAndRecovers(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	if _, err := claim(backend, "svc", "app", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	server.Stop()
	goroutinesBefore, filesBefore := runtime.NumGoroutine(), openFileCount(t)
	errs := make(chan error, 200)
	for g := 0; g < 20; g++ { // 200 claims, 20 at a time, each re-sent for its 250ms hold
		go func() {
			for i := 0; i < 10; i++ {
				selected, err := claim(backend, "svc", "app", time.Now(), 250*time.Millisecond)
				if err == nil || errors.Is(err, contract.ErrTickClosed) || selected != "" {
					err = fmt.Errorf("claim with Redis down = %q, %v; want a plain error", selected, err)
				} else if !strings.Contains(err.Error(), "redis at 127.0.0.1:") || !strings.Contains(err.Error(), "sends: ") {
					err = fmt.Errorf("the error does not say where or how often it was sent: %v", err)
				} else {
					err = nil
				}
				errs <- err
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if goroutines := runtime.NumGoroutine(); goroutines > goroutinesBefore+5 {
		t.Fatalf("goroutines grew from %d to %d over 200 failed claims", goroutinesBefore, goroutines)
	}
	if files := openFileCount(t); files > filesBefore+5 {
		t.Fatalf("open files grew from %d to %d over 200 failed claims", filesBefore, files)
	}
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	// go-redis stops dialing after repeated failures and probes once a second until a dial succeeds
	var err error
	for i := 1; i <= 50; i++ {
		if _, err = claim(backend, "svc", "app", time.Now(), time.Second); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("claims still fail 5s after Redis came back: %v", err)
}

// A Redis that accepts connections but does not answer costs a bounded wait (re-sends until the hold
// window closes), then an error.
func TestRedisThatHangsTimesOut(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL()+"?read_timeout=200ms&write_timeout=200ms&dial_timeout=200ms")
	if _, err := claim(backend, "svc", "app", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := server.Pause(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = server.Resume() }()
	done := make(chan error, 1)
	go func() {
		_, err := claim(backend, "svc", "app", time.Now(), time.Second)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, contract.ErrTickClosed) {
			t.Fatalf("claim against a hung Redis = %v, want a timeout error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a claim against a hung Redis did not return: calls must be bounded")
	}
}

func TestRedisPasswordAndBadSettings(t *testing.T) {
	server := redistest.Start(t, "s3cret")
	provide := func(rawURL string) (contract.Backend, error) {
		return New(context.Background(), Config{URL: rawURL, Prefix: "p:"})
	}
	service, err := provide(server.URL())
	if err != nil {
		t.Fatalf("the right password: %v", err)
	}
	backend := service.(*redisBackend)
	defer backend.Close()
	if got, err := claim(backend, "svc", "app", time.Now(), time.Second); err != nil || got != "app" {
		t.Fatalf("claim with the right password = %q, %v", got, err)
	}
	if line := backend.Describe(context.Background()); !strings.Contains(line, "answers") || strings.Contains(line, "s3cret") {
		t.Fatalf("Describe = %q", line)
	}
	wrong := strings.Replace(server.URL(), "s3cret", "wrong", 1)
	for rawURL, want := range map[string]string{
		wrong:                                       "WRONGPASS",
		strings.Replace(wrong, ":wrong@", "", 1):    "NOAUTH",
		"redis://no-such-host.invalid:6379/0":       "no-such-host.invalid",
		"http://127.0.0.1:6379/0":                   "invalid URL scheme",
		"redis://127.0.0.1:6379/zero":               "invalid database",
		"redis://127.0.0.1:6379/0?bogus=1":          "bogus",
		"redis://:s3cret%zz@host:6379/0":            "user:password part is invalid",
		"redis://:s3cret@host:99999/0":              `port "99999" is not a number from 1 to 65535`,
		"redis://:s3/cret@host:6379/0":              "user:password part is invalid",
		"redis://u:s3cret@h:6379/0?dial_timeout=zz": "invalid dial_timeout",
	} {
		_, err := provide(rawURL)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "redis.Config.URL") {
			t.Errorf("provider for %q: %v; want an error naming %q and the setting", rawURL, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "wrong@") || strings.Contains(err.Error(), "s3")) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	unanswered, err := newRedis(strings.Replace(server.URL(), "s3cret", "hunter2", 1), "p:", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer unanswered.Close()
	line := unanswered.Describe(context.Background())
	if err := unanswered.Ping(context.Background()); err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(line, "hunter2") || !strings.Contains(line, "NOT ANSWERING") {
		t.Fatalf("with a wrong password: Ping = %v, Describe = %q; want failures without the password", err, line)
	}
}

// scriptCalls returns how many script calls (EVALSHA and EVAL) the server has served.
func scriptCalls(t *testing.T, server *redisserver.Server) int64 {
	t.Helper()
	client := server.Client()
	defer client.Close()
	text, err := client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var calls int64
	for _, line := range strings.Split(text, "\n") {
		for _, name := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), name); ok {
				n, _, _ := strings.Cut(rest, ",")
				value, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				calls += value
			}
		}
	}
	return calls
}

// Claims made at the same time share script calls (group commit), and each still gets its own answer.
func TestRedisConcurrentClaimsShareCalls(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	const claims = 300
	tick := time.Now().Truncate(time.Second)
	before := scriptCalls(t, server)
	start := make(chan struct{})
	results := make(chan error, claims)
	for i := 0; i < claims; i++ {
		go func(service string) {
			<-start
			selected, err := claim(backend, service, "app", tick, time.Minute)
			if err == nil && selected != "app" {
				err = fmt.Errorf("%s: selected %q", service, selected)
			}
			results <- err
		}(fmt.Sprintf("svc-%d", i))
	}
	close(start)
	for i := 0; i < claims; i++ {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	calls := scriptCalls(t, server) - before
	if calls >= claims {
		t.Fatalf("%d script calls for %d concurrent claims: claims are not sent together", calls, claims)
	}
	t.Logf("%d concurrent claims took %d script calls", claims, calls)
}

// Close answers the claims still waiting and refuses later ones; nothing hangs.
func TestRedisCloseAnswersEveryClaim(t *testing.T) {
	server := redistest.Start(t, "")
	backend, err := newRedis(server.URL(), "test:", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 200)
	for i := 0; i < 200; i++ {
		go func(i int) {
			_, err := claim(backend, fmt.Sprintf("svc-%d", i), "app", time.Now(), time.Minute)
			results <- err
		}(i)
	}
	if err := backend.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		select {
		case <-results: // answered, won or "closed"
		case <-time.After(30 * time.Second):
			t.Fatal("a claim made around Close never returned")
		}
	}
	if _, err := claim(backend, "svc", "app", time.Now(), time.Minute); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("claim after Close = %v, want an error saying the backend is closed", err)
	}
}
