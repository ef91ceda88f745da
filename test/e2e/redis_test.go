package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/redisserver"
	"github.com/hadeframe/hade/internal/redistest"
)

func redisFlags(server *redisserver.Server) []string {
	return []string{"--distributed", "redis", "--redis-url", server.URL()}
}

func TestRedisThreeProcessesRunEachTickOnce(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "")
	threeProcessesThenKill(t, 31, redisFlags(server)...)
}

// Redis restarted mid-run (down for 3s, its data lost): no tick runs twice, the ticks while it is down
// are skipped with an error, each process logs the outage's start and end once, and ticks run again within
// 2s of Redis answering.
func TestRedisRestartMidRun(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "")
	base := t.TempDir()
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startForeground(t, testappBinary, base, append(redisFlags(server), "--log-level", "debug", "cron", "start")...)
	}
	all := []int{0, 1, 2}
	waitFor(t, 30*time.Second, "5 ticks before the restart", func() bool {
		return len(coveredTicks(t, distributedTicks(t, processes, false), all, time.Time{})) >= 5
	})
	server.Stop()
	stoppedAt := time.Now()
	time.Sleep(3 * time.Second)
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	answeredAt := time.Now()
	resumeBy := answeredAt.Add(2 * time.Second)
	waitFor(t, 30*time.Second, "5 ticks after Redis answers again", func() bool {
		return len(coveredTicks(t, distributedTicks(t, processes, true), all, resumeBy)) >= 5
	})
	stopAll(t, processes, all)

	ticks := distributedTicks(t, processes, true)
	runsPerProcess(t, ticks, len(processes)) // no tick ran twice, across the restart included
	after := coveredTicks(t, ticks, all, resumeBy)
	if first := after[0]; first.After(resumeBy.Add(time.Second)) {
		t.Fatalf("Redis answered at %s but ticks resumed only at %s", answeredAt.Format(time.RFC3339Nano), first)
	}
	for tick, report := range ticks {
		// a claim is re-sent until its hold window (2s) closes, so a tick up to 2s before Redis answered
		// again may run late; an earlier one never
		if tick.After(stoppedAt.Add(time.Second)) && tick.Before(answeredAt.Add(-2100*time.Millisecond)) && len(report.ranOn) > 0 {
			t.Fatalf("tick %s ran although Redis was down from before it until after its hold window", tick)
		}
	}
	assertOutageLogged(t, processes, "redis")
}

func TestRedisWrongPasswordFailsAtStart(t *testing.T) {
	t.Parallel()
	server := redistest.Start(t, "s3cret")
	base := t.TempDir()
	wrong := []string{"--distributed", "redis", "--redis-url", strings.Replace(server.URL(), "s3cret", "wrong", 1)}
	for _, args := range [][]string{{"cron", "start"}, {"cron", "start", "-d"}, {"cron", "state"}} {
		r := run(t, testappBinary, base, nil, append(wrong, args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, "WRONGPASS") || !strings.Contains(r.stderr, "--redis-url") {
			t.Fatalf("%v with a wrong password: exit %d, stderr %q; want non-zero naming the setting", args, r.code, r.stderr)
		}
		if strings.Contains(r.stderr+r.stdout, "wrong@") {
			t.Fatalf("%v printed the password: %s %s", args, r.stdout, r.stderr)
		}
	}
	assertNotRunning(t, testappBinary, base)

	// the right password: state (exit 3: nothing runs) and list name the provider and say it answers
	right := []string{"--distributed", "redis", "--redis-url", server.URL()}
	for _, args := range [][]string{{"cron", "state"}, {"cron", "list"}} {
		r := run(t, testappBinary, base, nil, append(right, args...)...)
		out := r.stdout
		if r.code != 0 && !(args[1] == "state" && r.code == 3) || !strings.Contains(out, "distributed provider: redis at 127.0.0.1:") || !strings.Contains(out, "answers") || strings.Contains(out, "s3cret") {
			t.Fatalf("%v = %q, want the Redis address and that it answers, without the password", args, out)
		}
	}
	p := startForeground(t, testappBinary, base, append(right, "cron", "start")...)
	waitFor(t, 15*time.Second, "a run against the password-protected Redis", func() bool {
		for _, line := range p.runs() {
			if line.str("outcome") == "ok" {
				return true
			}
		}
		return false
	})
	stopAll(t, []*process{p}, []int{0})
}
