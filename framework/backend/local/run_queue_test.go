package local

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// queueRunLocal calls local.QueueRun for service "svc" with a ttl of a minute and fails the test on an
// error.
func queueRunLocal(t *testing.T, local *localBackend, holder string, tick time.Time, max int) (
	contract.RunLease, []time.Time) {
	t.Helper()
	run := contract.RunLease{Service: "svc", Holder: holder, Tick: tick}
	taken, waiting, err := local.QueueRun(context.Background(), run, max, time.Minute)
	if err != nil {
		t.Fatalf("QueueRun(%s, %s, max %d): %v", holder, tick, max, err)
	}
	return taken, waiting
}

// TestLocalQueueRunOldStateFile: a state file written before the queue existed (a fence and a run lease,
// no run_queue nor run_taken) reads as an empty queue behind its lease; queueing keeps its fence and
// lease, and a tick re-sent with another location and no monotonic reading is the same tick.
func TestLocalQueueRunOldStateFile(t *testing.T) {
	local := newTestLocal(t)
	old := `{"tick":"2026-12-04T10:00:00Z","winner":"a","definition":"test","live_until":"2099-01-01T00:00:00Z",` +
		`"claimed_at":"2026-12-04T10:00:00.5Z","run_holder":"a","run_tick":"2026-12-04T10:00:00Z",` +
		`"run_until":"2099-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(local.LockFile("svc"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	fenceTick := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	tick := time.Now() // monotonic, with nanoseconds
	for _, resent := range []time.Time{tick, tick.Round(0).In(time.UTC)} {
		taken, waiting := queueRunLocal(t, local, "b", resent, 10)
		once := slices.EqualFunc(waiting, []time.Time{tick}, time.Time.Equal)
		if taken.Holder != "a" || !taken.Tick.Equal(fenceTick) || !once {
			t.Fatalf("QueueRun behind the old file's lease = %+v, waiting %v; want a's run, the tick waiting once",
				taken, waiting)
		}
	}
	if got, err := claim(local, "svc", "a", fenceTick, time.Second); err != nil || got != "a" {
		t.Fatalf("the fence's winner re-claiming its tick = %q, %v; want a (the fence kept)", got, err)
	}
	if err := local.ReleaseRun(context.Background(), contract.RunLease{Service: "svc", Holder: "a", Tick: fenceTick}); err != nil {
		t.Fatal(err)
	}
	taken, waiting := queueRunLocal(t, local, "b", tick, 0)
	if taken.Holder != "b" || !taken.Tick.Equal(tick) || len(waiting) != 0 {
		t.Fatalf("QueueRun after the release = %+v, waiting %v; want b taking the queued tick", taken, waiting)
	}
}

// TestLocalWritesKeepTheQueue: a claim that moves the fence, a renewal and an AcquireRun write the state
// file and keep its queue.
func TestLocalWritesKeepTheQueue(t *testing.T) {
	local := newTestLocal(t)
	ctx := context.Background()
	now := time.Now()
	held := contract.RunLease{Service: "svc", Holder: "a", Tick: now.Add(-time.Minute)}
	if _, err := local.AcquireRun(ctx, held, time.Minute); err != nil {
		t.Fatal(err)
	}
	queueRunLocal(t, local, "b", now.Add(-time.Second), 10)
	if got, err := claim(local, "svc", "c", now, time.Minute); err != nil || got != "c" {
		t.Fatalf("claim = %q, %v; want c", got, err)
	}
	if lost, err := local.RenewRuns(ctx, []contract.RunLease{held}, time.Minute); err != nil || len(lost) != 0 {
		t.Fatalf("RenewRuns = %v, %v; want the lease kept", lost, err)
	}
	other := contract.RunLease{Service: "svc", Holder: "z", Tick: now}
	if holder, err := local.AcquireRun(ctx, other, time.Minute); err != nil || holder.Holder != "a" {
		t.Fatalf("AcquireRun of a held lease = %+v, %v; want a", holder, err)
	}
	taken, waiting := queueRunLocal(t, local, "b", now.Add(-time.Second), 0)
	if taken.Holder != "a" || len(waiting) != 1 {
		t.Fatalf("QueueRun after the other writes = %+v, waiting %v; want a's run, the tick still waiting",
			taken, waiting)
	}
}

// TestLocalFullQueueFitsTheStateFile: a queue of rules.MaxQueued ticks of the longest text (nanoseconds
// and a zone offset) fits maxStateSize with a long definition, reads back tick for tick, and a full
// queue takes no more.
func TestLocalFullQueueFitsTheStateFile(t *testing.T) {
	local := newTestLocal(t)
	zone := time.FixedZone("", -(9*3600 + 30*60))
	base := time.Date(2026, 12, 4, 10, 0, 0, 123456789, zone)
	queue := rules.RunQueue{Taken: base}
	for n := range rules.MaxQueued {
		queue.Waiting = append(queue.Waiting, base.Add(time.Duration(n+1)*time.Second))
	}
	state := serviceState{
		fence: rules.Fence{Tick: base, Winner: strings.Repeat("w", 200),
			Definition: strings.Repeat("d", rules.MaxDefinitionLen), LiveUntil: base},
		lease: rules.Lease{Holder: strings.Repeat("h", 200), Tick: base, Until: time.Now().Add(time.Hour)},
		queue: queue,
	}
	writeStateFile(t, local, state)
	if info, err := os.Stat(local.LockFile("svc")); err != nil || info.Size() >= maxStateSize {
		t.Fatalf("a full queue's record: %v, %v; want under %d bytes", info, err, maxStateSize)
	}
	taken, waiting := queueRunLocal(t, local, "b", base.Add(time.Hour), rules.MaxQueued)
	if taken.Holder != state.lease.Holder || !slices.EqualFunc(waiting, queue.Waiting, time.Time.Equal) {
		t.Fatalf("QueueRun on a full queue = %+v, %d waiting; want the holder, the queue read back as written",
			taken, len(waiting))
	}
}

// TestLocalQueueOutOfOrderIsUnreadable: a queue not in tick order after run_taken fails closed, naming the
// file, and the file is kept as it is for a person to look at.
func TestLocalQueueOutOfOrderIsUnreadable(t *testing.T) {
	local := newTestLocal(t)
	for _, record := range []string{
		`{"tick":"0001-01-01T00:00:00Z","winner":"","run_queue":["2026-12-04T10:00:02Z","2026-12-04T10:00:01Z"]}`,
		`{"tick":"0001-01-01T00:00:00Z","winner":"","run_queue":["2026-12-04T10:00:01Z"],` +
			`"run_taken":"2026-12-04T10:00:01Z"}`,
	} {
		path := local.LockFile("svc")
		if err := os.WriteFile(path, []byte(record+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		run := contract.RunLease{Service: "svc", Holder: "a", Tick: time.Now()}
		_, _, err := local.QueueRun(context.Background(), run, 10, time.Minute)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "run_queue") {
			t.Fatalf("QueueRun on %s = %v; want an error naming the file and run_queue", record, err)
		}
		if data, _ := os.ReadFile(path); string(data) != record+"\n" {
			t.Fatalf("the unreadable file was changed to %q", data)
		}
	}
}

// writeStateFile writes state as the state file of service "svc".
func writeStateFile(t *testing.T, local *localBackend, state serviceState) {
	t.Helper()
	file, err := os.OpenFile(local.LockFile("svc"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeState(file, state); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
}
