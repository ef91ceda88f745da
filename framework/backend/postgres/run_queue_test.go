package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// TestPostgresQueueRunMicroseconds: ticks are kept to the µs: the same time.Time re-sent (nanoseconds, a
// monotonic reading, another location) is the tick taken; one a µs later is another, which waits. max 0
// on a service that never queued writes no row.
func TestPostgresQueueRunMicroseconds(t *testing.T) {
	p := openUpgraded(t, startServer(t), freshSchema())
	ctx := context.Background()
	idle := contract.RunLease{Service: "idle", Holder: "a", Tick: time.Now()}
	holder, waiting, err := p.QueueRun(ctx, idle, 0, time.Minute)
	if err != nil || holder.Holder != "" || !holder.Tick.IsZero() || waiting != nil {
		t.Fatalf("QueueRun(max 0) of a service that never queued = %+v, %v, %v; want the lease free, none waiting",
			holder, waiting, err)
	}
	var rows int
	if err := p.pool.QueryRow(ctx, withSchema("SELECT count(*) FROM {schema}.service_run_queues", p.schema)).
		Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("service_run_queues holds %d rows (%v) after a read; want none", rows, err)
	}
	tick := time.Now()
	inMicros := time.UnixMicro(tick.UnixMicro())
	for i, c := range []struct {
		holder  string
		tick    time.Time
		waiting []time.Time
	}{{"a", tick, nil}, {"a", tick.Round(0).In(time.UTC), nil}, {"b", tick.Add(time.Microsecond), []time.Time{
		inMicros.Add(time.Microsecond)}}} {
		run := contract.RunLease{Service: "svc", Holder: c.holder, Tick: c.tick}
		holder, waiting, err := p.QueueRun(ctx, run, 10, time.Minute)
		if err != nil || holder.Holder != "a" || !holder.Tick.Equal(inMicros) || !slices.EqualFunc(waiting, c.waiting,
			time.Time.Equal) {
			t.Fatalf("call %d: QueueRun(%+v) = %+v, %v, %v; want a holding %v, waiting %v", i, run, holder, waiting,
				err, inMicros, c.waiting)
		}
	}
}

// TestPostgresQueueRunSharesTheRunLease: the lease a queue takes is the one claims, AcquireRun, RenewRuns
// and ReleaseRun use: while the queue's run holds it, AcquireRun and a claim asking for it find it held
// and RenewRuns renews it; once released, the next waiting tick is taken.
func TestPostgresQueueRunSharesTheRunLease(t *testing.T) {
	p := openUpgraded(t, startServer(t), freshSchema())
	ctx := context.Background()
	now := time.Now().Truncate(time.Microsecond)
	first, next := contract.RunLease{Service: "svc", Holder: "a", Tick: now.Add(-time.Second)}, now
	if holder, _, err := p.QueueRun(ctx, first, 10, time.Minute); err != nil || !sameRun(holder, first) {
		t.Fatalf("QueueRun on a free lease = %+v, %v; want %+v", holder, err, first)
	}
	if _, waiting, err := p.QueueRun(ctx, contract.RunLease{Service: "svc", Holder: "b", Tick: next}, 10,
		time.Minute); err != nil || len(waiting) != 1 {
		t.Fatalf("QueueRun behind a's run: waiting %v, %v; want one tick", waiting, err)
	}
	other := contract.RunLease{Service: "svc", Holder: "b", Tick: next}
	if holder, err := p.AcquireRun(ctx, other, time.Minute); err != nil || !sameRun(holder, first) {
		t.Fatalf("AcquireRun while the queue's run holds the lease = %+v, %v; want %+v", holder, err, first)
	}
	claimed, err := p.ClaimTick(ctx, contract.Claim{Service: "svc", AppID: "b", Tick: next, HoldTime: time.Minute,
		Definition: "test", LiveUntil: next.Add(time.Hour), RunLease: time.Minute})
	if err != nil || claimed.Holder != "b" || claimed.Busy.Holder != "a" || !claimed.Busy.Tick.Equal(first.Tick) {
		t.Fatalf("a claim asking for the lease = %+v, %v; want won, busy with %+v", claimed, err, first)
	}
	if lost, err := p.RenewRuns(ctx, []contract.RunLease{first}, time.Minute); err != nil || len(lost) != 0 {
		t.Fatalf("RenewRuns of the queue's run = lost %v, %v; want renewed", lost, err)
	}
	if err := p.ReleaseRun(ctx, first); err != nil {
		t.Fatal(err)
	}
	if holder, waiting, err := p.QueueRun(ctx, first, 0, time.Minute); err != nil || holder.Holder != "a" ||
		!holder.Tick.Equal(next) || len(waiting) != 0 {
		t.Fatalf("the take after the release = %+v, %v, %v; want a holding %v, none waiting", holder, waiting, err,
			next)
	}
}

// An application role granted the documented privileges before an owner migrated the schema to version 4
// has none on service_run_queues: QueueRun names the missing privilege (and never the password) and
// leaves the lease free; once the owner grants again, it queues.
func TestPostgresQueueRunAfterAnUpgradeByTheOwner(t *testing.T) {
	app, grantAgain := appBeforeUpgrade(t, 3)
	ctx := context.Background()
	run := contract.RunLease{Service: "svc", Holder: "app", Tick: time.Now()}
	_, _, err := app.QueueRun(ctx, run, 1, time.Minute)
	checkPrivilegeError(t, "QueueRun", "service_run_queues", err)
	if holder, err := app.AcquireRun(ctx, contract.RunLease{Service: "svc", Holder: "other", Tick: run.Tick},
		time.Minute); err != nil || holder.Holder != "other" {
		t.Fatalf("AcquireRun after the failed QueueRun = %+v, %v; want the lease free (rolled back)", holder, err)
	}
	grantAgain()
	if holder, waiting, err := app.QueueRun(ctx, run, 1, time.Minute); err != nil || holder.Holder != "other" ||
		len(waiting) != 1 {
		t.Fatalf("QueueRun after the grants = %+v, %v, %v; want queued behind other's run", holder, waiting, err)
	}
}

// sameRun reports whether a and b name the same run: service, holder and tick (time.Time.Equal).
func sameRun(a, b contract.RunLease) bool {
	return a.Service == b.Service && a.Holder == b.Holder && a.Tick.Equal(b.Tick)
}
