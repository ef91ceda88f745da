package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/internal/pgserver"
	"github.com/hadeframe/hade/internal/pgtest"
)

// measureAsyncEnv turns on TestPostgresAsyncFailoverMeasure; it is a measurement, not a check, so neither
// `make test` nor a plain `go test` runs it. HADE_MEASURE_TRIALS (default 5) sets the trials per variant
// and HADE_MEASURE_KILL_AFTER (default 30ms) how long after a tick the primary is killed; with
// HADE_MEASURE_DEBUG set, each trial also logs job-000's run lines.
const measureAsyncEnv = "HADE_MEASURE_ASYNC_FAILOVER"

// asyncJobs is how many every-second distributed jobs each process runs: 50 claims per tick and process
// make a tick's claims last long enough for a kill to fall among them.
const asyncJobs = 50

// asyncTrial is what one failover to an asynchronous standby did.
type asyncTrial struct {
	killTick     time.Time     // the tick the kill followed
	promoteTook  time.Duration // from the kill until the promoted standby accepted writes
	fencesLost   int           // services whose fence on the standby, read just before the promotion, is older than a tick that ran before the kill
	newestLost   int           // of those, the ticks lost for the service that lost the most
	doubled      []string      // service@tick that ran (outcome ok) on two processes or more
	missed       int           // service-ticks from 2 s before the kill until the promotion + failoverResumeWithin that ran nowhere
	missedAfter  int           // service-ticks after that until the end that ran nowhere
	skipped      int           // of the missed (both), those skipped for a run lease still held (a release lost with the primary)
	claimLatency time.Duration // the slowest answer (run start or not_selected) to a claim of killTick-1s: how long a tick's claims last
}

// A measurement, not a check (it asserts no double either way): a primary with an asynchronous standby,
// three processes with asyncJobs every-second distributed jobs each on the multi-host URL; the primary is
// killed (kill -9) HADE_MEASURE_KILL_AFTER after a tick and the standby promoted at once. Per trial it
// logs the ticks that ran twice (same service and tick, two processes with outcome ok), the ticks no
// process ran, and the fences the standby had lost. Two variants: "no-lag" (the standby streams as it
// does on an idle loopback), and "walsender-stopped-1s" (the primary's WAL sender for the standby is
// stopped with SIGSTOP 1 s before the kill: WAL written in that second never reaches the standby, as when
// the network to it stalls).
func TestPostgresAsyncFailoverMeasure(t *testing.T) {
	if os.Getenv(measureAsyncEnv) == "" {
		t.Skipf("a measurement: set %s=1 to run it", measureAsyncEnv)
	}
	trials := 5
	if n, err := strconv.Atoi(os.Getenv("HADE_MEASURE_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	killAfter := 30 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("HADE_MEASURE_KILL_AFTER")); err == nil {
		killAfter = d
	}
	for _, variant := range []struct {
		name string
		lag  time.Duration // how long before the kill the WAL sender is stopped; 0: it is not
	}{{"no-lag", 0}, {"walsender-stopped-1s", time.Second}} {
		t.Run(variant.name, func(t *testing.T) {
			var results []asyncTrial
			for i := 0; i < trials; i++ {
				t.Run(fmt.Sprintf("trial-%d", i+1), func(t *testing.T) {
					r := asyncFailoverTrial(t, killAfter, variant.lag)
					t.Logf("kill %s after tick %s, promoted %s later; claims of the tick before answered within %s; "+
						"fences lost on the standby %d/%d (up to %d ticks behind); doubled %d %v; missed %d around the failover, %d after (%d of them skipped for a run lease)",
						killAfter, r.killTick.Format("15:04:05"), r.promoteTook.Round(time.Millisecond),
						r.claimLatency.Round(time.Millisecond), r.fencesLost, asyncJobs, r.newestLost, len(r.doubled),
						r.doubled, r.missed, r.missedAfter, r.skipped)
					results = append(results, r)
				})
			}
			doubled, missed, skipped, lost := 0, 0, 0, 0
			for _, r := range results {
				doubled, missed, lost = doubled+len(r.doubled), missed+r.missed+r.missedAfter, lost+r.fencesLost
				skipped += r.skipped
			}
			t.Logf("%s, %d trials, %d jobs × 3 processes, kill %s after a tick: %d service-ticks doubled, %d missed "+
				"(%d of them skipped for a run lease), %d fences lost", variant.name, len(results), asyncJobs, killAfter,
				doubled, missed, skipped, lost)
		})
	}
}

// asyncFailoverTrial runs one failover (see TestPostgresAsyncFailoverMeasure) and returns what it did.
func asyncFailoverTrial(t *testing.T, killAfter, lag time.Duration) asyncTrial {
	primary := pgtest.Start(t, pgserver.Options{})
	standby := pgtest.StartStandby(t, primary, false)
	walSender := queryInts(t, primary, fmt.Sprintf("SELECT pid FROM pg_stat_replication WHERE application_name = '%s'",
		standby.ApplicationName()))
	if len(walSender) != 1 {
		t.Fatalf("the primary has %d WAL senders for %s, want 1", len(walSender), standby.ApplicationName())
	}
	flags := []string{"--distributed", "postgres", "--postgres-url", failoverURL(primary, standby)}
	env := []string{"TESTAPP_REGISTRATIONS=many", fmt.Sprintf("TESTAPP_JOBS=%d", asyncJobs)}
	base := t.TempDir()
	processes := make([]*process, 3)
	for i := range processes {
		processes[i] = startForegroundEnv(t, testappBinary, base, env, append(flags, "--log-level", "debug", "cron", "start")...)
	}
	var started time.Time // the first tick every process claimed
	waitFor(t, 40*time.Second, "a run line from each process", func() bool {
		for _, p := range processes {
			if len(p.runs()) == 0 {
				return false
			}
		}
		started = time.Now().Truncate(time.Second).Add(time.Second)
		return true
	})
	time.Sleep(time.Until(started.Add(5 * time.Second))) // 5 ticks with all three
	killTick := time.Now().Truncate(time.Second).Add(time.Second)
	if lag > 0 {
		for time.Until(killTick.Add(killAfter)) < lag+100*time.Millisecond {
			killTick = killTick.Add(time.Second)
		}
		time.Sleep(time.Until(killTick.Add(killAfter - lag)))
		if err := syscall.Kill(walSender[0], syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Until(killTick.Add(killAfter)))
	primary.Kill()
	killedAt := time.Now()
	fences := standbyFences(t, standby)
	if err := standby.Promote(); err != nil {
		t.Fatal(err)
	}
	promotedAt := time.Now()
	resumeBy := promotedAt.Add(failoverResumeWithin)
	end := resumeBy.Add(5 * time.Second).Truncate(time.Second)
	time.Sleep(time.Until(end.Add(3 * time.Second))) // the last ticks' hold time (2 s) has passed
	stopAll(t, processes, []int{0, 1, 2})

	r := asyncTrial{killTick: killTick, promoteTook: promotedAt.Sub(killedAt)}
	ran := map[string][]int{}           // service@tick -> indexes of the processes that ran it
	skipped := map[string]bool{}        // service@tick -> some process skipped it: the run lease was held
	ranBefore := map[string]time.Time{} // service -> the newest tick it ran before the kill
	for i, p := range processes {
		for _, line := range p.runs() {
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err != nil || line.str("type") != "distributed" {
				continue
			}
			late, _ := line["late_ms"].(float64)
			answered := time.Duration(late * float64(time.Millisecond))
			outcome, service := line.str("outcome"), line.str("service")
			if tick.Equal(killTick.Add(-time.Second)) && (outcome == "ok" || outcome == "not_selected") {
				r.claimLatency = max(r.claimLatency, answered)
			}
			key := service + "@" + tick.Format(time.RFC3339)
			if outcome == "skipped" {
				skipped[key] = true
			}
			if outcome != "ok" {
				continue
			}
			ran[key] = append(ran[key], i)
			if tick.Add(answered).Before(killedAt) && tick.After(ranBefore[service]) {
				ranBefore[service] = tick
			}
		}
	}
	for service, newest := range ranBefore {
		if fence := fences[service]; fence.Before(newest) {
			r.fencesLost++
			r.newestLost = max(r.newestLost, int(newest.Sub(fence)/time.Second))
		}
	}
	for job := 0; job < asyncJobs; job++ {
		service := fmt.Sprintf("job-%03d", job)
		for tick := killTick.Add(-2 * time.Second); !tick.After(end); tick = tick.Add(time.Second) {
			key := service + "@" + tick.Format(time.RFC3339)
			switch on := ran[key]; {
			case len(on) > 1:
				r.doubled = append(r.doubled, fmt.Sprintf("%s on %v", key, on))
				continue
			case len(on) == 1:
				continue
			case tick.After(resumeBy):
				r.missedAfter++
			default:
				r.missed++
			}
			if skipped[key] {
				r.skipped++
			}
		}
	}
	slices.Sort(r.doubled)
	if os.Getenv("HADE_MEASURE_DEBUG") != "" {
		for i, p := range processes {
			for _, line := range p.runs() {
				if line.str("service") == "job-000" || line.str("type") != "distributed" {
					t.Logf("process %d: %v", i, line)
				}
			}
		}
		t.Logf("killed %s promoted %s resumeBy %s end %s", killedAt.Format("15:04:05.000"), promotedAt.Format("15:04:05.000"), resumeBy.Format("15:04:05.000"), end.Format("15:04:05.000"))
	}
	return r
}

// standbyFences reads the fences of the standby (a hot standby answers reads) once it has applied all the
// WAL it received: service -> tick.
func standbyFences(t *testing.T, standby *pgserver.Server) map[string]time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, standby.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for applied := false; !applied; {
		err := conn.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), true)").Scan(&applied)
		if err != nil {
			t.Fatal(err)
		}
		if !applied {
			time.Sleep(5 * time.Millisecond)
		}
	}
	rows, err := conn.Query(ctx, "SELECT service, tick FROM hade.fences WHERE tick IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	fences := map[string]time.Time{}
	var service string
	var tick time.Time
	_, err = pgx.ForEachRow(rows, []any{&service, &tick}, func() error {
		fences[strings.Clone(service)] = tick
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fences
}
