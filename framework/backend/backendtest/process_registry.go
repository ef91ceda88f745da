package backendtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// testProcessRegistry runs the conformance suite of contract.ProcessRegistry against the stores open
// makes: records listed with their bodies byte for byte, replaced, expired and deregistered. Its expiry
// test waits up to 10 s (a backend may round a ttl up, e.g. etcd's minimum lease).
func testProcessRegistry(t *testing.T, open Open) {
	t.Run("HeartbeatListReplace", func(t *testing.T) { testRegistryHeartbeat(t, open) })
	t.Run("Expiry", func(t *testing.T) { testRegistryExpiry(t, open) })
	t.Run("Deregister", func(t *testing.T) { testRegistryDeregister(t, open) })
	t.Run("BadInput", func(t *testing.T) { testRegistryBadInput(t, open) })
	t.Run("Closed", func(t *testing.T) { testRegistryClosed(t, open) })
}

// processRecord returns the record of appID with a body that names it and holds bytes of every kind: what
// a framework encodes is opaque to the backend.
func processRecord(appID string) contract.ProcessRecord {
	return contract.ProcessRecord{AppID: appID, Body: fmt.Appendf(nil, "{\"a\":%q,\"h\":\"host\"}\x00\xff\n", appID)}
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

// checkProcesses fails t unless got holds the records of want, in any order, each body byte for byte.
func checkProcesses(t *testing.T, what string, got, want []contract.ProcessRecord) {
	t.Helper()
	got = slices.Clone(got)
	slices.SortFunc(got, func(a, b contract.ProcessRecord) int { return strings.Compare(a.AppID, b.AppID) })
	text := func(records []contract.ProcessRecord) string {
		var out []string
		for _, r := range records {
			out = append(out, fmt.Sprintf("%s %q", r.AppID, r.Body))
		}
		return strings.Join(out, ", ")
	}
	if text(got) != text(want) {
		t.Fatalf("%s: Processes = %s; want %s (any order)", what, text(got), text(want))
	}
}

// testRegistryHeartbeat: the records of every client are listed, bodies byte for byte; a heartbeat
// replaces the record of its app id; the registry keeps a copy of the body it was given.
func testRegistryHeartbeat(t *testing.T, open Open) {
	newClient := connect(t, open, defaultRetention)
	one, two := newClient(), newClient()
	a, b, c := processRecord("app-a"), processRecord("app-b"), processRecord("app-c")
	heartbeat(t, one, a, time.Minute)
	heartbeat(t, two, c, time.Minute)
	heartbeat(t, two, b, time.Minute)
	checkProcesses(t, "three processes", processes(t, one), []contract.ProcessRecord{a, b, c})
	sent := contract.ProcessRecord{AppID: "app-a", Body: []byte("second heartbeat: \x00\x01\xfe\xff \"é\"")}
	a = contract.ProcessRecord{AppID: "app-a", Body: slices.Clone(sent.Body)}
	heartbeat(t, one, sent, time.Minute)
	clear(sent.Body) // the caller reuses its buffer
	got := processes(t, two)
	checkProcesses(t, "after a second heartbeat of app-a", got, []contract.ProcessRecord{a, b, c})
	for _, p := range got {
		clear(p.Body) // a reader changes what it was given
	}
	checkProcesses(t, "after a reader changed its copies", processes(t, two), []contract.ProcessRecord{a, b, c})
	empty := contract.ProcessRecord{AppID: "app-d"}
	heartbeat(t, one, empty, time.Minute)
	if got := processes(t, one); len(got) != 4 {
		t.Fatalf("after a heartbeat with an empty body: %d processes, want 4", len(got))
	}
}

func testRegistryExpiry(t *testing.T, open Open) {
	registry := connect(t, open, defaultRetention)()
	heartbeat(t, registry, processRecord("short"), time.Second)
	heartbeat(t, registry, processRecord("long"), time.Minute)
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
	heartbeat(t, registry, processRecord("a"), time.Minute)
	heartbeat(t, registry, processRecord("b"), time.Minute)
	if err := registry.Deregister(context.Background(), "a"); err != nil {
		t.Fatalf("Deregister(a): %v", err)
	}
	if err := registry.Deregister(context.Background(), "missing"); err != nil {
		t.Fatalf("Deregister of a missing record: %v; want nil", err)
	}
	checkProcesses(t, "after Deregister(a)", processes(t, registry), []contract.ProcessRecord{processRecord("b")})
}

func testRegistryBadInput(t *testing.T, open Open) {
	registry := connect(t, open, defaultRetention)()
	ctx := context.Background()
	if _, err := registry.Heartbeat(ctx, processRecord(""), time.Minute); err == nil {
		t.Fatal("Heartbeat with an empty AppID succeeded")
	}
	if _, err := registry.Heartbeat(ctx, processRecord("a"), 500*time.Millisecond); err == nil {
		t.Fatal("Heartbeat with a ttl below one second succeeded")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := registry.Heartbeat(canceled, processRecord("a"), time.Minute); err == nil {
		t.Fatal("Heartbeat with a cancelled context succeeded")
	}
}

// testRegistryClosed: the registry calls of a closed client fail.
func testRegistryClosed(t *testing.T, open Open) {
	registry := closedClient(t, open)
	ctx := context.Background()
	if _, err := registry.Heartbeat(ctx, processRecord("a"), time.Minute); err == nil {
		t.Error("Heartbeat after Close: no error")
	}
	if _, err := registry.Processes(ctx); err == nil {
		t.Error("Processes after Close: no error")
	}
}
