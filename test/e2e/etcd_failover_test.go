package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/etcdserver"
	"github.com/hadeframe/hade/internal/etcdtest"
)

// failoverJobs is how many every-second distributed jobs each process of the failover test runs, each
// 10ms long: their claims and run lease releases are in flight a few ms after every tick.
const failoverJobs = 10

// After an etcd member's kill, the ticks from failoverFrom to failoverTo after it must each run once:
// from 3 s (an election, about 1 to 2.5 s, and a tick to recover) until past the 5 s a run lease left
// behind by the kill would have lived.
const (
	failoverFrom = 3 * time.Second
	failoverTo   = 7 * time.Second
)

// memberKill is one kill of the failover test: the member, whether it led, and when it died.
type memberKill struct {
	member int
	role   string
	at     time.Time
}

// Three processes with 10 every-second distributed jobs on a 3-member cluster; each member in turn (the
// leader, a follower, the last one) is killed (kill -9) just after a tick, as the ticks' run lease
// releases are sent, and restarted once 7 s have passed: every tick of every job from 3 s to 7 s after
// each kill runs exactly once (none is skipped as busy with a run lease the kill left behind), and no tick
// ever runs twice.
func TestEtcdKillEachMemberEveryTickFromKillPlus3sRunsOnce(t *testing.T) {
	t.Parallel()
	cluster := etcdtest.Start(t, etcdserver.Options{Members: 3})
	env := []string{"TESTAPP_REGISTRATIONS=many", fmt.Sprintf("TESTAPP_JOBS=%d", failoverJobs),
		"TESTAPP_JOB_DURATION=10ms"}
	base := t.TempDir()
	processes := make([]*process, 3)
	for i := range processes {
		args := append(etcdFlags(cluster), "cron", "start")
		processes[i] = startForegroundEnv(t, testappBinary, base, env, args...)
	}
	waitFor(t, 30*time.Second, "a run from each process", func() bool {
		for _, p := range processes {
			if countOutcome(p, "ok") == 0 {
				return false
			}
		}
		return true
	})
	var kills []memberKill
	for len(kills) < len(cluster.Members) {
		kills = append(kills, killAndRestart(t, cluster, nextVictim(t, cluster, kills)))
	}
	stopAll(t, processes, []int{0, 1, 2})
	ran := failoverRuns(t, processes)
	for _, kill := range kills {
		checkFailover(t, processes, ran, kill)
	}
}

// nextVictim returns the member the failover test kills next: the leader first, then a member not killed
// yet that does not lead (there is one: two are left, one leads at most), then the last one.
func nextVictim(t *testing.T, cluster *etcdserver.Cluster, kills []memberKill) int {
	leader := cluster.Leader()
	if leader < 0 {
		t.Fatal("the cluster has no leader")
	}
	killed := map[int]bool{}
	for _, kill := range kills {
		killed[kill.member] = true
	}
	left := -1
	for i := range cluster.Members {
		switch {
		case len(kills) == 0:
			return leader
		case !killed[i] && i != leader:
			return i
		case !killed[i]:
			left = i
		}
	}
	return left
}

// killAndRestart kills member (kill -9) 30ms after a tick, waits until the ticks up to failoverTo after
// the kill have run and been logged, then restarts it and waits until it has caught up with the leader.
func killAndRestart(t *testing.T, cluster *etcdserver.Cluster, member int) memberKill {
	now := time.Now()
	time.Sleep(time.Until(now.Truncate(time.Second).Add(time.Second + 30*time.Millisecond)))
	kill := memberKill{member: member, role: "follower"}
	if cluster.Leader() == member {
		kill.role = "leader"
	}
	cluster.Members[member].Kill()
	kill.at = time.Now()
	time.Sleep(time.Until(kill.at.Add(failoverTo + 1500*time.Millisecond)))
	if err := cluster.Members[member].Restart(); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitMember(member, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the %s m%d at %s; up again %s later", kill.role, member, kill.at.Format("15:04:05.000"),
		time.Since(kill.at).Round(time.Millisecond))
	return kill
}

// failoverRuns returns the processes that ran each job's tick ("job-000@<tick RFC 3339, UTC>"), failing t
// when a tick ran on two.
func failoverRuns(t *testing.T, processes []*process) map[string][]int {
	ran := map[string][]int{}
	for i, p := range processes {
		for _, line := range p.runs() {
			if line.str("outcome") != "ok" {
				continue
			}
			tick, err := time.Parse(time.RFC3339, line.str("tick"))
			if err != nil {
				t.Fatalf("bad tick in %v", line)
			}
			key := line.str("service") + "@" + tick.UTC().Format(time.RFC3339)
			ran[key] = append(ran[key], i)
		}
	}
	for key, on := range ran {
		if len(on) > 1 {
			t.Fatalf("%s ran on processes %v, want once", key, on)
		}
	}
	return ran
}

// checkFailover fails t unless every job's every tick from failoverFrom to failoverTo after kill ran once,
// printing what the processes logged of the first tick that did not.
func checkFailover(t *testing.T, processes []*process, ran map[string][]int, kill memberKill) {
	first := kill.at.Add(failoverFrom - time.Nanosecond).Truncate(time.Second).Add(time.Second)
	last := kill.at.Add(failoverTo).Truncate(time.Second)
	var missed []string
	for tick := first; !tick.After(last); tick = tick.Add(time.Second) {
		for job := 0; job < failoverJobs; job++ {
			key := fmt.Sprintf("job-%03d@%s", job, tick.UTC().Format(time.RFC3339))
			if len(ran[key]) != 1 {
				missed = append(missed, key)
			}
		}
	}
	if len(missed) > 0 {
		t.Errorf("the kill of the %s m%d at %s: %d job ticks from kill+%s to kill+%s did not run: %v; the lines "+
			"of %s: %v", kill.role, kill.member, kill.at.Format("15:04:05.000"), len(missed), failoverFrom, failoverTo,
			missed, missed[0], serviceTickLines(processes, missed[0]))
	}
}

// serviceTickLines returns the processes' run lines of key ("job-000@<tick RFC 3339, UTC>"), each with
// the index of its process.
func serviceTickLines(processes []*process, key string) []string {
	var lines []string
	for i, p := range processes {
		for _, line := range p.runs() {
			if tick, err := time.Parse(time.RFC3339, line.str("tick")); err == nil &&
				line.str("service")+"@"+tick.UTC().Format(time.RFC3339) == key {
				lines = append(lines, fmt.Sprintf("process %d: %v", i, map[string]any(line)))
			}
		}
	}
	return lines
}
