package e2e

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var nextRunPattern = regexp.MustCompile(`distributed\s+0 \* \* \* \*\s+(\S+)\s+testapp tick\s+hourly\s+10s\s+overlap forbid\s+(\S+)`)

// listHourly returns the zone and next run `cron list` shows for the testapp's hourly distributed entry.
func listHourly(t *testing.T, env ...string) (zone string, next time.Time) {
	t.Helper()
	r := run(t, testappBinary, t.TempDir(), append([]string{"TESTAPP_REGISTRATIONS=hourly"}, env...), "cron", "list")
	match := nextRunPattern.FindStringSubmatch(r.stdout)
	if r.code != 0 || match == nil {
		t.Fatalf("cron list with %v exited %d: %s%s", env, r.code, r.stdout, r.stderr)
	}
	next, err := time.Parse(time.RFC3339, match[2])
	if err != nil {
		t.Fatal(err)
	}
	return match[1], next
}

// Hosts in different zones compute different hourly ticks unless the cron zone is set; `cron list` shows
// the zone each entry is evaluated in.
func TestProcessesInDifferentZonesShareTicksThroughTheCronZone(t *testing.T) {
	t.Parallel()
	utcZone, utcNext := listHourly(t, "TZ=UTC")
	indiaZone, indiaNext := listHourly(t, "TZ=Asia/Kolkata")
	if utcZone != "UTC" || indiaZone != "Asia/Kolkata" {
		t.Fatalf("zones shown: %q and %q, want UTC and Asia/Kolkata", utcZone, indiaZone)
	}
	if utcNext.Sub(indiaNext).Abs() != 30*time.Minute {
		t.Fatalf("next ticks %s and %s: want them 30 min apart without a cron zone", utcNext, indiaNext)
	}
	for _, flagged := range [][]string{{"HADE_CRON_TZ=Europe/Berlin"}, {"HADE_CRON_TZ=", "--cron-tz=Europe/Berlin"}} {
		var nexts []time.Time
		for _, tz := range []string{"TZ=UTC", "TZ=Asia/Kolkata"} {
			r := run(t, testappBinary, t.TempDir(), []string{"TESTAPP_REGISTRATIONS=hourly", tz, flagged[0]}, append([]string{"cron", "list"}, flagged[1:]...)...)
			match := nextRunPattern.FindStringSubmatch(r.stdout)
			if r.code != 0 || match == nil || match[1] != "Europe/Berlin" {
				t.Fatalf("cron list %v %s exited %d: %s%s", flagged, tz, r.code, r.stdout, r.stderr)
			}
			next, err := time.Parse(time.RFC3339, match[2])
			if err != nil {
				t.Fatal(err)
			}
			nexts = append(nexts, next)
		}
		if !nexts[0].Equal(nexts[1]) {
			t.Fatalf("with %v the hosts compute %s and %s: want the same instant", flagged, nexts[0], nexts[1])
		}
	}
	r := run(t, testappBinary, t.TempDir(), []string{"TESTAPP_REGISTRATIONS=hourly", "HADE_CRON_TZ=Mars/Olympus"}, "cron", "list")
	if r.code == 0 || !strings.Contains(r.stderr, "--cron-tz") || !strings.Contains(r.stderr, "Mars/Olympus") {
		t.Fatalf("an unknown cron zone: exit %d, stderr %q; want an error naming the zone and --cron-tz", r.code, r.stderr)
	}
}

// A process stopped for 4 s logs the every-second ticks it slept through as missed, aggregated.
func TestStalledProcessLogsMissedTicks(t *testing.T) {
	t.Parallel()
	p := startForeground(t, testappBinary, t.TempDir(), "cron", "start")
	waitFor(t, 10*time.Second, "a first run", func() bool { return len(p.runs()) > 0 })
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	var missed logLine
	waitFor(t, 10*time.Second, "a missed line", func() bool {
		for _, line := range p.runs() {
			if line.str("outcome") == "missed" {
				missed = line
				return true
			}
		}
		return false
	})
	count, _ := missed["count"].(float64)
	if count < 2 || missed.str("level") != "WARN" || missed.str("job") != "every_second" || missed.str("last_tick") == "" {
		t.Fatalf("missed line %v: want WARN, job every_second (the service: the job's name), a count >= 2 and the last tick", missed)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// A stop is not an error: a run that honours its context and is cancelled at the drain deadline ends
// `canceled` at WARN, and nothing is logged at ERROR.
func TestStopCancelsLongRunsWithoutErrors(t *testing.T) {
	t.Parallel()
	p := startForegroundEnv(t, testappBinary, t.TempDir(), []string{"TESTAPP_REGISTRATIONS=patient"}, "cron", "start", "--drain-timeout", "500ms")
	waitFor(t, 10*time.Second, "cron started", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, line := range p.lines {
			if line.str("msg") == "cron started" {
				return true
			}
		}
		return false
	})
	time.Sleep(1500 * time.Millisecond) // a run is going
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("cron start exited with %v after SIGTERM, want 0", p.err)
	}
	canceled := 0
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, line := range p.lines {
		if line.str("level") == "ERROR" {
			t.Errorf("an ERROR line at a normal stop: %v", line)
		}
		if line.str("outcome") == "canceled" && line.str("level") == "WARN" && line.str("job") == "patient" {
			canceled++
		}
	}
	if canceled != 1 {
		t.Fatalf("%d canceled WARN lines, want 1 for the run going at the stop; lines: %v", canceled, p.lines)
	}
}
