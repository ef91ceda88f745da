package etcd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The etcd backend marks a service's tick as run (contract.RunLeases.MarkRun) in the key
// <prefix>run-marks/<service>/<tick>, the tick as encodeMicros (µs, 20 digits, as the fence's ticks), its
// value the holder that marked it. MarkRun is one Txn that puts the key when it is missing (its create
// revision is 0) and else reads it: true when it put the key or the key names the same holder (a re-send
// whose reply was lost, from any client), false when it names another. The Txn is atomic and the key is
// never changed once written, so of the clients marking one tick at once exactly one puts it.
//
// A mark is kept at least the retention's MaxAge after its tick, as long as the run history keeps records
// of the tick, then etcd deletes it: it is put with a lease that ends at or after tick+MaxAge. The leases
// are shared: time is cut into periods of runMarkPeriod(MaxAge) (MaxAge/etcdMarkPeriods, at least
// etcdMarkMinPeriod) from the Unix epoch, and a mark goes with the lease ending at the end of the period
// that holds tick+MaxAge. Each backend grants the lease of a period the first time it needs it (a Grant
// before the Txn) and keeps it for later marks, so it holds about etcdMarkPeriods+1 leases whatever the
// number of ticks it marks, and a mark lives at most one period longer than it must. A mark whose
// tick+MaxAge is within a period of now, or passed (a tick older than the history keeps), goes with the
// lease of the period holding now+period: every mark is kept at least a period, so that processes marking
// an old tick at about the same time still run it once. A lease etcd does not know any more (revoked by an
// operator, a cluster restored from a snapshot) is forgotten and granted again, once per call. etcd
// restarts a lease's TTL at each change of leader (unless lease checkpointing is on), so a mark may live
// past the end its lease was granted for, never less. Close revokes none of these leases: a mark outlives
// the process that made it.

// etcdMarkPeriods is how many periods of shared leases of run marks one retention's MaxAge spans.
const etcdMarkPeriods = 16

// etcdMarkMinPeriod is the shortest period of the shared leases of run marks, and so the least time a
// mark is kept.
const etcdMarkMinPeriod = time.Minute

// etcdMarkLeases are a backend's shared leases of run marks: the id of each lease it granted, by the end
// of its period (Unix µs).
type etcdMarkLeases struct {
	mu    sync.Mutex
	byEnd map[int64]clientv3.LeaseID
}

// get returns the lease ending at end, and whether there is one.
func (l *etcdMarkLeases) get(end int64) (clientv3.LeaseID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.byEnd[end]
	return id, ok
}

// add keeps id as the lease ending at end unless another was kept for end meanwhile (a grant of the same
// period by a concurrent call: both are valid, the other is kept), and drops those ending before now
// (Unix µs), which no mark is put with any more.
func (l *etcdMarkLeases) add(end int64, id clientv3.LeaseID, now int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byEnd == nil {
		l.byEnd = map[int64]clientv3.LeaseID{}
	}
	for kept := range l.byEnd {
		if kept < now {
			delete(l.byEnd, kept)
		}
	}
	if _, ok := l.byEnd[end]; !ok {
		l.byEnd[end] = id
	}
}

// forget drops id, the lease ending at end, when it is still the one kept for end.
func (l *etcdMarkLeases) forget(end int64, id clientv3.LeaseID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byEnd[end] == id {
		delete(l.byEnd, end)
	}
}

// runMarkKey returns the key of the mark of service's tick: <prefix>run-marks/<service>/<tick>, the tick
// as encodeMicros (µs).
func (e *etcdBackend) runMarkKey(service string, tick time.Time) string {
	return e.prefix + "run-marks/" + service + "/" + encodeMicros(tick)
}

// runMarkPeriod returns the period of the shared leases of run marks for the retention's maxAge (> 0):
// maxAge/etcdMarkPeriods, at least etcdMarkMinPeriod.
func runMarkPeriod(maxAge time.Duration) time.Duration {
	return max(maxAge/etcdMarkPeriods, etcdMarkMinPeriod)
}

// runMarkEnd returns when the lease of the mark of tick, made at now, ends (Unix µs): the end of the period
// (runMarkPeriod(maxAge), counted from the Unix epoch) holding tick+maxAge, or holding now+period when
// that is later. It is at least a period after now.
func runMarkEnd(tick, now time.Time, maxAge time.Duration) int64 {
	period := runMarkPeriod(maxAge).Microseconds()
	due := max(tick.UnixMicro()+maxAge.Microseconds(), now.UnixMicro()+period)
	return (due + period - 1) / period * period // >= due, also before the epoch
}

// MarkRun implements contract.RunLeases.MarkRun (see above): one Txn, after a Grant for the first mark of
// a period, and a Grant and a Txn more when etcd lost the lease kept for the period. The tick is cut to
// µs. It returns an error for invalid input (rules.ValidateRunLease), ctx's error when ctx ends first, an
// error naming etcd, its endpoints, the setting and the key when a request fails (no quorum, no leader, a
// timeout, a closed backend; a failed Txn may have been applied: calling again with the same holder says
// true), and an error naming etcd for a negative retention.
func (e *etcdBackend) MarkRun(ctx context.Context, run contract.RunLease) (bool, error) {
	if err := rules.ValidateRunLease(run, 0, false); err != nil {
		return false, err
	}
	key := e.runMarkKey(run.Service, run.Tick)
	what := fmt.Sprintf("mark %s of tick %s of service %q for %q", key, rules.FormatTime(run.Tick),
		run.Service, run.Holder)
	if err := ctx.Err(); err != nil {
		return false, e.storeError(ctx, "run mark", what, err)
	}
	retention, err := e.historyRetention()
	if err != nil {
		return false, err
	}
	client, err := e.conn.get()
	if err != nil {
		return false, e.storeError(ctx, "run mark", what, err)
	}
	now := e.now()
	end := runMarkEnd(run.Tick, now, retention.MaxAge)
	marked, err := e.markWithLease(ctx, client, key, run.Holder, end, now)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) { // the lease kept for end is gone: grant another
		marked, err = e.markWithLease(ctx, client, key, run.Holder, end, now)
	}
	if err != nil {
		return false, e.storeError(ctx, "run mark", what, err)
	}
	return marked, nil
}

// markWithLease marks key for holder (putRunMark) with the shared lease ending at end (Unix µs), granted
// first when the backend keeps none (markLease). When etcd does not know that lease (an error wrapping
// rpctypes.ErrLeaseNotFound), it forgets it: the next call grants another.
func (e *etcdBackend) markWithLease(ctx context.Context, client *clientv3.Client, key, holder string,
	end int64, now time.Time) (bool, error) {
	lease, err := e.markLease(ctx, client, end, now)
	if err != nil {
		return false, err
	}
	marked, err := e.putRunMark(ctx, client, key, holder, lease)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		e.marks.forget(end, lease)
	}
	return marked, err
}

// markLease returns the shared lease of run marks ending at end (Unix µs), after granting it, when the
// backend keeps none, with a TTL of end-now rounded up to seconds, within the request timeout.
func (e *etcdBackend) markLease(ctx context.Context, client *clientv3.Client, end int64,
	now time.Time) (clientv3.LeaseID, error) {
	if id, ok := e.marks.get(end); ok {
		return id, nil
	}
	remaining := time.Duration(end-now.UnixMicro()) * time.Microsecond
	ttl := int64((remaining + time.Second - 1) / time.Second)
	request, cancel := e.request(ctx)
	defer cancel()
	granted, err := client.Grant(request, ttl)
	if err != nil {
		return 0, fmt.Errorf("granting a lease of %d s: %w", ttl, err)
	}
	e.marks.add(end, granted.ID, now.UnixMicro())
	return granted.ID, nil
}

// putRunMark puts holder at key with lease when key is missing, else reads it, in one Txn within the
// request timeout. It returns true when it put key or key names holder, false when key names another
// holder. A lease etcd does not know fails the Txn when key is missing (rpctypes.ErrLeaseNotFound).
func (e *etcdBackend) putRunMark(ctx context.Context, client *clientv3.Client, key, holder string,
	lease clientv3.LeaseID) (bool, error) {
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Txn(request).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, holder, clientv3.WithLease(lease))).Else(clientv3.OpGet(key)).Commit()
	switch {
	case err != nil:
		return false, err
	case response.Succeeded:
		return true, nil
	case len(response.Responses) != 1 || len(response.Responses[0].GetResponseRange().GetKvs()) != 1:
		return false, fmt.Errorf("unexpected answer to the Txn of %s", key)
	}
	return string(response.Responses[0].GetResponseRange().GetKvs()[0].Value) == holder, nil
}
