package backendtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// TestProcessRegistry runs the conformance suite of contract.ProcessRegistry against the stores open
// makes. Its expiry test waits up to 10 s (a backend may round a ttl up, e.g. etcd's minimum lease).
func TestProcessRegistry(t *testing.T, open Open) {
	t.Run("HeartbeatListReplace", func(t *testing.T) { testRegistryHeartbeat(t, open) })
	t.Run("Expiry", func(t *testing.T) { testRegistryExpiry(t, open) })
	t.Run("Deregister", func(t *testing.T) { testRegistryDeregister(t, open) })
	t.Run("BadInput", func(t *testing.T) { testRegistryBadInput(t, open) })
	t.Run("Closed", func(t *testing.T) { testRegistryClosed(t, open) })
}

func processRecord(appID, host string, started time.Time) contract.ProcessRecord {
	return contract.ProcessRecord{
		AppID: appID, Hostname: host, PID: 100, BaseFolder: "/srv/" + appID, Provider: "test backend",
		Version: "v1.2.3", Started: started, Heartbeat: started.Add(time.Second),
	}
}

func processes(t *testing.T, registry contract.ProcessRegistry) []contract.ProcessRecord {
	t.Helper()
	got, err := registry.Processes(context.Background())
	if err != nil {
		t.Fatalf("Processes: %v", err)
	}
	return got
}

func heartbeat(t *testing.T, registry contract.ProcessRegistry, record contract.ProcessRecord, ttl time.Duration) {
	t.Helper()
	if _, err := registry.Heartbeat(context.Background(), record, ttl); err != nil {
		t.Fatalf("Heartbeat(%s): %v", record.AppID, err)
	}
}

// sameProcess reports how got differs from want ("" when equal): times by instant, to the millisecond.
func sameProcess(got, want contract.ProcessRecord) string {
	text := func(p contract.ProcessRecord) string {
		running := ""
		for _, r := range p.Running {
			running += fmt.Sprintf("[%s %d %d]", r.Job, r.Tick.UnixMilli(), r.Since.UnixMilli())
		}
		return fmt.Sprintf("%s %s %d %s %s %s %d %d %s lost=%d", p.AppID, p.Hostname, p.PID, p.BaseFolder, p.Provider,
			p.Version, p.Started.UnixMilli(), p.Heartbeat.UnixMilli(), running, p.LostRecords)
	}
	if text(got) != text(want) {
		return fmt.Sprintf("got %s, want %s", text(got), text(want))
	}
	return ""
}

func testRegistryHeartbeat(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	one, two := newClient(), newClient()
	now := time.Now().Truncate(time.Millisecond)
	a := processRecord("app-a", "host-b", now.Add(-time.Minute))
	b := processRecord("app-b", "host-a", now.Add(-time.Hour))
	c := processRecord("app-c", "host-b", now.Add(-2*time.Minute))
	heartbeat(t, one, a, time.Minute)
	heartbeat(t, two, b, time.Minute)
	heartbeat(t, two, c, time.Minute)
	got := processes(t, one)
	want := []contract.ProcessRecord{b, c, a} // by hostname, then started
	if len(got) != len(want) {
		t.Fatalf("Processes: %d records, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if diff := sameProcess(got[i], want[i]); diff != "" {
			t.Fatalf("Processes[%d] (ordered by hostname, then started): %s", i, diff)
		}
	}
	a.Heartbeat = now
	a.Running = []contract.RunningTick{{Job: "report", Tick: now.Add(-time.Second), Since: now.Add(-900 * time.Millisecond)},
		{Job: "cleanup", Tick: now, Since: now}}
	a.LostRecords = 7
	heartbeat(t, one, a, time.Minute)
	got = processes(t, two)
	if len(got) != 3 || sameProcess(got[2], a) != "" {
		t.Fatalf("after a second heartbeat of app-a: %+v; want its record replaced (runs in progress, lost records)", got)
	}
}

func testRegistryExpiry(t *testing.T, open Open) {
	registry := connect(t, open, defaultRetention)()
	now := time.Now()
	heartbeat(t, registry, processRecord("short", "h", now), time.Second)
	heartbeat(t, registry, processRecord("long", "h", now), time.Minute)
	if got := processes(t, registry); len(got) != 2 {
		t.Fatalf("just after the heartbeats: %d processes, want 2", len(got))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := processes(t, registry)
		if len(got) == 1 && got[0].AppID == "long" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after a heartbeat with a 1 s ttl, the processes are %+v; want only \"long\"", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func testRegistryDeregister(t *testing.T, open Open) {
	registry := connect(t, open, defaultRetention)()
	now := time.Now()
	heartbeat(t, registry, processRecord("a", "h", now), time.Minute)
	heartbeat(t, registry, processRecord("b", "h", now.Add(time.Second)), time.Minute)
	if err := registry.Deregister(context.Background(), "a"); err != nil {
		t.Fatalf("Deregister(a): %v", err)
	}
	if err := registry.Deregister(context.Background(), "missing"); err != nil {
		t.Fatalf("Deregister of a missing record: %v; want nil", err)
	}
	if got := processes(t, registry); len(got) != 1 || got[0].AppID != "b" {
		t.Fatalf("after Deregister(a): %+v; want only b", got)
	}
}

func testRegistryBadInput(t *testing.T, open Open) {
	registry := connect(t, open, defaultRetention)()
	ctx := context.Background()
	if _, err := registry.Heartbeat(ctx, processRecord("", "h", time.Now()), time.Minute); err == nil {
		t.Fatal("Heartbeat with an empty AppID succeeded")
	}
	if _, err := registry.Heartbeat(ctx, processRecord("a", "h", time.Now()), 500*time.Millisecond); err == nil {
		t.Fatal("Heartbeat with a ttl below one second succeeded")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := registry.Heartbeat(canceled, processRecord("a", "h", time.Now()), time.Minute); err == nil {
		t.Fatal("Heartbeat with a cancelled context succeeded")
	}
}

// testRegistryClosed: the registry calls of a closed client fail.
func testRegistryClosed(t *testing.T, open Open) {
	registry := closedClient(t, open)
	ctx := context.Background()
	if _, err := registry.Heartbeat(ctx, processRecord("a", "h", time.Now()), time.Minute); err == nil {
		t.Error("Heartbeat after Close: no error")
	}
	if _, err := registry.Processes(ctx); err == nil {
		t.Error("Processes after Close: no error")
	}
}
