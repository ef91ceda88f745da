package e2e

import (
	"testing"
	"time"
)

// Three processes per backend (local, Redis): a run past its WithTimeout ends with outcome timeout after
// the timeout; a failing run is retried on the process that won its tick, after 300ms then 600ms, and its
// third attempt succeeds; no tick runs on two processes.
func TestTimeoutAndRetryAcrossTheCluster(t *testing.T) {
	t.Parallel()
	for _, backend := range historyBackends(t)[:2] {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel() // each backend has its own server and base folders
			bases, _ := backend.folders(t, 3)
			env := []string{"TESTAPP_REGISTRATIONS=policies"}
			processes := make([]*process, 3)
			for i := range processes {
				processes[i] = startForegroundEnv(t, testappBinary, bases[i], env, append(backend.flags, "cron", "start")...)
			}
			waitFor(t, 30*time.Second, "two retried ticks that succeeded", func() bool { return ranAfter(processes, "retried", time.Time{}) >= 2 })
			stopAll(t, processes, []int{0, 1, 2})
			checkTimeouts(t, processes)
			checkRetries(t, processes)
		})
	}
}

func checkTimeouts(t *testing.T, processes []*process) {
	t.Helper()
	timeouts := 0
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("job") != "timeout" || line.str("outcome") == "not_selected" || line.str("outcome") == "not_claimed" {
				continue
			}
			duration, _ := line["duration_ms"].(float64)
			if line.str("outcome") != "timeout" || duration < 500 || duration > 1500 {
				t.Errorf("a run of timeout: outcome %s after %.0f ms; want timeout after 500ms (its context honoured)", line.str("outcome"), duration)
			}
			timeouts++
		}
	}
	if timeouts == 0 {
		t.Error("no run of timeout")
	}
}

func checkRetries(t *testing.T, processes []*process) {
	t.Helper()
	type attempt struct {
		pid     int
		outcome string
		at      time.Time // when the line was written: the attempt's end
	}
	byTick := map[string][]attempt{}
	for _, p := range processes {
		for _, line := range p.runs() {
			if line.str("job") != "retried" || (line.str("outcome") != "ok" && line.str("outcome") != "error") {
				continue
			}
			at, _ := time.Parse(time.RFC3339Nano, line.str("time"))
			number, _ := line["attempt"].(float64)
			if number == 0 {
				number = 1
			}
			list := append(byTick[line.str("tick")], attempt{})
			if int(number) > len(list) {
				t.Fatalf("tick %s: attempt %v logged out of order", line.str("tick"), number)
			}
			list[int(number)-1] = attempt{pid: p.cmd.Process.Pid, outcome: line.str("outcome"), at: at}
			byTick[line.str("tick")] = list
		}
	}
	for tick, attempts := range byTick {
		if len(attempts) != 3 {
			if len(attempts) < 3 && attempts[len(attempts)-1].outcome == "error" {
				continue // the last tick, cut by the stop
			}
			t.Errorf("tick %s: %d attempts; want 3", tick, len(attempts))
			continue
		}
		if attempts[0].outcome != "error" || attempts[1].outcome != "error" || attempts[2].outcome != "ok" {
			t.Errorf("tick %s: outcomes %v; want error, error, ok", tick, attempts)
		}
		if attempts[0].pid != attempts[1].pid || attempts[1].pid != attempts[2].pid {
			t.Errorf("tick %s: attempts on processes %v; want one process", tick, attempts)
		}
		if gap := attempts[1].at.Sub(attempts[0].at); gap < 300*time.Millisecond {
			t.Errorf("tick %s: second attempt %s after the first; want the 300ms backoff", tick, gap)
		}
		if gap := attempts[2].at.Sub(attempts[1].at); gap < 600*time.Millisecond {
			t.Errorf("tick %s: third attempt %s after the second; want the doubled backoff, 600ms", tick, gap)
		}
	}
}
