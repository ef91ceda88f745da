package engine

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
)

// Two processes on hosts in different zones, with an hourly distributed entry and no cron zone, compute
// ticks 30 min apart; through one real backend only the definition that claimed first ever runs, and
// the other logs each refusal as an error naming both definitions.
func TestHostsInDifferentZonesNeverBothRunAnHourlyJob(t *testing.T) {
	backend := memory.NewStore(nil).Open(backend.Retention{})
	type host struct {
		scheduler *Scheduler
		logs      *logBuffer
		runs      atomic.Int32
	}
	var hosts []*host
	now := time.Now()
	type firing struct {
		host int
		tick time.Time
	}
	var firings []firing
	for i, tz := range []string{"UTC", "Asia/Kolkata"} {
		t.Setenv("TZ", tz)
		h := &host{scheduler: New(), logs: &logBuffer{}}
		report := &cobra.Command{Use: "report", RunE: func(*cobra.Command, []string) error { h.runs.Add(1); return nil }}
		h.scheduler.AddDistributedCronCommand("report", "0 * * * *", report, 3*time.Hour)
		env := testEnvironment(h.logs, tz)
		env.Backend = backend
		startWithoutTimer(t, h.scheduler, env)
		for tick := h.scheduler.Entries()[0].Next(now.Add(-150 * time.Minute)); tick.Before(now.Add(150 * time.Minute)); tick = h.scheduler.Entries()[0].Next(tick) {
			firings = append(firings, firing{i, tick})
		}
		hosts = append(hosts, h)
	}
	slices.SortFunc(firings, func(a, b firing) int { return a.tick.Compare(b.tick) })
	for _, f := range firings {
		fire(hosts[f.host].scheduler, 0, f.tick)
	}
	first := firings[0].host
	if hosts[first].runs.Load() < 4 || hosts[1-first].runs.Load() != 0 {
		t.Fatalf("runs: %d on the first claimer, %d on the other; want every tick of one definition only",
			hosts[first].runs.Load(), hosts[1-first].runs.Load())
	}
	refused := hosts[1-first].logs.lines(t)
	if len(refused) == 0 || refused[0]["level"] != "ERROR" {
		t.Fatalf("the refused host logged %v; want ERROR lines", refused)
	}
	for _, want := range []string{"zone UTC", "zone Asia/Kolkata"} {
		if message, _ := refused[0]["error"].(string); !strings.Contains(message, want) {
			t.Errorf("conflict %q does not name %q", message, want)
		}
	}
}
