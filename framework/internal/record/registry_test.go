package record_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/memory"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

func heartbeat(t *testing.T, registry contract.ProcessRegistry, process record.Process) {
	t.Helper()
	stored, err := record.EncodeProcess(process)
	if err != nil {
		t.Fatalf("EncodeProcess(%+v): %v", process, err)
	}
	if _, err := registry.Heartbeat(context.Background(), stored, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// text returns p with its times in µs, for comparisons by instant.
func text(p record.Process) string {
	running := ""
	for _, r := range p.Running {
		running += fmt.Sprintf("[%s %d %d]", r.Job, r.Tick.UnixMicro(), r.Since.UnixMicro())
	}
	return fmt.Sprintf("%s %s %d %s %s %s %d %d %s lost=%d", p.AppID, p.Hostname, p.PID, p.BaseFolder, p.Provider,
		p.Version, p.Started.UnixMicro(), p.Heartbeat.UnixMicro(), running, p.LostRecords)
}

// Every field of a process survives a backend to the µs, and Processes orders them by hostname, then
// started, then app id.
func TestProcessesRoundTripAndOrder(t *testing.T) {
	registry := memory.NewStore(nil).Open(backend.Retention{})
	now := time.Now()
	process := func(appID, host string, started time.Time) record.Process {
		return record.Process{AppID: appID, Hostname: host, PID: 100, BaseFolder: "/srv/" + appID, Provider: "memory",
			Version: "v1.2.3", Started: started, Heartbeat: now}
	}
	a := process("app-a", "host-b", now.Add(-time.Minute))
	a.Running = []record.RunningTick{{Job: "report", Tick: now.Add(-time.Second), Since: now.Add(-900 * time.Millisecond)},
		{Job: "cleanup", Tick: now, Since: now}}
	a.LostRecords = 7
	b := process("app-b", "host-a", now.Add(-time.Hour))
	c := process("app-c", "host-b", now.Add(-2*time.Minute))
	d := process("app-d", "host-b", now.Add(-2*time.Minute))
	for _, p := range []record.Process{d, a, c, b} {
		heartbeat(t, registry, p)
	}
	got, err := record.Processes(context.Background(), registry)
	if err != nil {
		t.Fatal(err)
	}
	want := []record.Process{b, c, d, a}
	if len(got) != len(want) {
		t.Fatalf("Processes: %d, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if text(got[i]) != text(want[i]) {
			t.Fatalf("Processes[%d] = %s; want %s (by hostname, then started, then app id)", i, text(got[i]), text(want[i]))
		}
	}
}
