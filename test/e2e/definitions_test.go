package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hadeframe/hade/internal/redistest"
)

func TestTwoDefinitionsOfOneServiceNeverBothRunLocal(t *testing.T) {
	t.Parallel()
	twoDefinitions(t)
}

func TestTwoDefinitionsOfOneServiceNeverBothRunRedis(t *testing.T) {
	t.Parallel()
	twoDefinitions(t, redisFlags(redistest.Start(t, ""))...)
}

// twoDefinitions runs a rolling deploy that changes the hold time of an every-second distributed job: the
// old definition (hold 2s) runs, the new one (hold 3s) starts beside it and is refused with an error naming
// both definitions, never running a tick the old one runs; once the old process stops, the new one runs
// every tick again within a few seconds.
func twoDefinitions(t *testing.T, flags ...string) {
	base := t.TempDir()
	args := append([]string{"cron", "start"}, flags...)
	old := startForegroundEnv(t, testappBinary, base, []string{"TESTAPP_HOLD=2s"}, args...)
	waitFor(t, 15*time.Second, "the old definition's first run", func() bool { return countOK(old) > 0 })
	updated := startForegroundEnv(t, testappBinary, base, []string{"TESTAPP_HOLD=3s"}, args...)
	var conflict logLine
	waitFor(t, 15*time.Second, "a conflict logged by the new definition", func() bool {
		for _, line := range updated.runs() {
			if line.str("outcome") == "error" && strings.Contains(line.str("error"), "definition") {
				conflict = line
				return true
			}
		}
		return false
	})
	message := conflict.str("error")
	for _, want := range []string{`hold 2s`, `hold 3s`, "zone"} {
		if !strings.Contains(message, want) || conflict.str("level") != "ERROR" {
			t.Fatalf("conflict line %v: want an ERROR naming both definitions (%q)", conflict, want)
		}
	}
	time.Sleep(3 * time.Second) // both live
	if err := old.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-old.done
	stopped := time.Now()
	waitFor(t, 10*time.Second, "the new definition to take over", func() bool { return countOK(updated) >= 3 })
	t.Logf("the new definition ran its third tick %s after the old process stopped", time.Since(stopped).Round(time.Millisecond))
	if err := updated.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-updated.done
	for tick, report := range distributedTicks(t, []*process{old, updated}, true) {
		if len(report.ranOn) > 1 {
			t.Errorf("tick %s ran on both definitions", tick)
		}
		if report.loggedBy[0] && report.loggedBy[1] && len(report.ranOn) == 1 && report.ranOn[0] == 1 {
			t.Errorf("tick %s ran on the new definition while the old one was live", tick)
		}
	}
}

// countOK returns how many runs of p ended ok.
func countOK(p *process) int {
	count := 0
	for _, line := range p.runs() {
		if line.str("outcome") == "ok" {
			count++
		}
	}
	return count
}
