package etcd

import (
	"context"
	"fmt"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The etcd backend keeps a service's run lease (contract.RunLeases) in two keys beside its fence, under
// <prefix>distributed/<service>/: run, "<tick>/<holder>" (the tick as encodeMicros), and run-until, until
// when the lease lives (encodeMicros). Both are written, and deleted, together in one transaction. The
// lease is held at now while run-until >= now; a missing run-until is a free lease: etcd fails a value
// compare on a missing key, so "held" is a compare and "free" its else branch. Holder and tick have a key
// of their own so that a renewal or a release compares them exactly, statelessly: a renewal whose answer
// was lost (etcd #6584) leaves nothing to reconcile, and any backend of the holder may renew or release.
// Times are in µs, like the fence's; now is the local clock, as for claims (see Etcd, Clocks): a process
// whose clock is ahead by s sees a lease end s early.

// runKeys returns the keys of serviceName's run lease: run (tick and holder) and run-until.
func (e *etcdBackend) runKeys(serviceName string) (run, until string) {
	base := e.prefix + "distributed/" + serviceName + "/"
	return base + "run", base + "run-until"
}

// runValue is the value of the run key of holder's run of tick.
func runValue(holder string, tick time.Time) string { return encodeMicros(tick) + "/" + holder }

// leaseHeld is the compare "the lease whose run-until key is untilKey is held at now" (until >= now).
func leaseHeld(untilKey string, now time.Time) clientv3.Cmp {
	return clientv3.Compare(clientv3.Value(untilKey), ">", encodeMicros(now.Add(-time.Microsecond)))
}

// takeLease returns the puts giving serviceName's run lease to holder's run of tick until until.
func (e *etcdBackend) takeLease(serviceName, holder string, tick, until time.Time) []clientv3.Op {
	run, untilKey := e.runKeys(serviceName)
	return []clientv3.Op{clientv3.OpPut(run, runValue(holder, tick)), clientv3.OpPut(untilKey, encodeMicros(until))}
}

// claimLeaseOp is the transaction of claim c's run lease, run when c wins its tick at now: it reads the run
// key when the lease is held, else takes the lease for c.RunLease.
func (e *etcdBackend) claimLeaseOp(c contract.Claim, now time.Time) clientv3.Op {
	run, until := e.runKeys(c.Service)
	return clientv3.OpTxn([]clientv3.Cmp{leaseHeld(until, now)}, []clientv3.Op{clientv3.OpGet(run)},
		e.takeLease(c.Service, c.AppID, c.Tick, now.Add(c.RunLease)))
}

// busyOf returns contract.Claimed.Busy of claim c, which holds its tick, from read, the run key as c's
// transaction read it: nothing when c's run holds the lease, else the run named there, or rules.UnknownHolder
// when the key is absent (a re-sent claim whose first answer was busy with a run that has ended since).
func (e *etcdBackend) busyOf(c contract.Claim, read *pb.ResponseOp) (contract.RunLease, error) {
	holder, err := e.parseRun(c.Service, read)
	switch {
	case err != nil:
		return contract.RunLease{}, err
	case holder.Holder == "":
		return contract.RunLease{Service: c.Service, Holder: rules.UnknownHolder}, nil
	case holder.Holder == c.AppID && holder.Tick.Equal(c.Tick):
		return contract.RunLease{}, nil
	}
	return holder, nil
}

// parseRun returns the run named by read, a read of serviceName's run key: Holder "" when it is absent.
func (e *etcdBackend) parseRun(serviceName string, read *pb.ResponseOp) (contract.RunLease, error) {
	kvs := read.GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return contract.RunLease{Service: serviceName}, nil
	}
	tick, holder, found := strings.Cut(string(kvs[0].Value), "/")
	tickTime, err := decodeMicros(tick)
	if !found || err != nil || holder == "" {
		run, until := e.runKeys(serviceName)
		return contract.RunLease{}, fmt.Errorf("etcd at %s: run lease %s of service %q is malformed (%q): delete %s and %s",
			e.endpoints, run, serviceName, kvs[0].Value, run, until)
	}
	return contract.RunLease{Service: serviceName, Holder: holder, Tick: tickTime}, nil
}

// AcquireRun implements contract.RunLeases.AcquireRun in one Txn: when the run key names lease, or the
// lease is free, it puts lease with until now+ttl; otherwise it reads the holder. Errors name etcd.
func (e *etcdBackend) AcquireRun(ctx context.Context, lease contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	if err := rules.ValidateRunLease(lease, ttl, true); err != nil {
		return contract.RunLease{}, err
	}
	now := e.now().Truncate(time.Microsecond)
	run, until := e.runKeys(lease.Service)
	take := e.takeLease(lease.Service, lease.Holder, lease.Tick, now.Add(ttl))
	mine := clientv3.Compare(clientv3.Value(run), "=", runValue(lease.Holder, lease.Tick))
	ifFree := clientv3.OpTxn([]clientv3.Cmp{leaseHeld(until, now)}, []clientv3.Op{clientv3.OpGet(run)}, take)
	response, err := e.leaseTxn(ctx, []clientv3.Cmp{mine}, take, []clientv3.Op{ifFree})
	what := fmt.Sprintf("acquire of the run lease of service %q for %q", lease.Service, lease.Holder)
	if err != nil {
		return contract.RunLease{}, e.storeError(ctx, "run lease", what, err)
	}
	if response.Succeeded {
		return lease, nil
	}
	var nested *pb.TxnResponse
	if len(response.Responses) == 1 {
		nested = response.Responses[0].GetResponseTxn()
	}
	switch {
	case nested == nil || (nested.Succeeded && len(nested.Responses) != 1):
		return contract.RunLease{}, fmt.Errorf("etcd at %s: %s: unexpected answer", e.endpoints, what)
	case !nested.Succeeded:
		return lease, nil
	}
	holder, err := e.parseRun(lease.Service, nested.Responses[0])
	if err == nil && holder.Holder == "" { // run-until without run: written by something else than hade
		holder.Holder = rules.UnknownHolder
	}
	return holder, err
}

// RenewRuns implements contract.RunLeases.RenewRuns: for each lease, a transaction that puts run-until
// now+ttl when the run key names the lease and the lease is held at now; the leases of one request are of
// distinct services (etcd refuses two puts of a key), within etcd's limits (chunkRenewals: one request for
// the leases of a process, unless two of them are of one service), and the requests go out at once. A lease
// whose transaction did not apply is lost. Errors name etcd; a failed request may have been applied (renewing
// again is harmless).
func (e *etcdBackend) RenewRuns(ctx context.Context, leases []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	if err := rules.ValidateRunLeases(leases, ttl); err != nil {
		return nil, err
	}
	now := e.now().Truncate(time.Microsecond)
	chunks := chunkRenewals(leases)
	ops := make([][]clientv3.Op, len(chunks))
	for i, chunk := range chunks {
		for _, lease := range chunk {
			run, until := e.runKeys(lease.Service)
			held := []clientv3.Cmp{clientv3.Compare(clientv3.Value(run), "=", runValue(lease.Holder, lease.Tick)), leaseHeld(until, now)}
			ops[i] = append(ops[i], clientv3.OpTxn(held, []clientv3.Op{clientv3.OpPut(until, encodeMicros(now.Add(ttl)))}, nil))
		}
	}
	responses, err := e.commitTxns(ctx, ops, etcdRenewalOps)
	what := fmt.Sprintf("renewal of %d run leases", len(leases))
	if err != nil {
		return nil, e.storeError(ctx, "run lease", what, err)
	}
	var lost []contract.RunLease
	for i, chunk := range chunks {
		if len(responses[i].Responses) != len(chunk) {
			return nil, fmt.Errorf("etcd at %s: %s: unexpected answer", e.endpoints, what)
		}
		for j, lease := range chunk {
			if !responses[i].Responses[j].GetResponseTxn().GetSucceeded() {
				lost = append(lost, lease)
			}
		}
	}
	return lost, nil
}

// etcdRenewalOps is what a renewal's transaction (two compares, a put) spends of --max-txn-ops below its
// level.
const etcdRenewalOps = 2

// chunkRenewals splits leases into requests of at most etcdTxnCapacity(etcdRenewalOps) renewals (3969,
// laid out in groups by commitTxns) and about etcdMaxTxnBytes, no service twice in one.
func chunkRenewals(leases []contract.RunLease) [][]contract.RunLease {
	type chunk struct {
		leases   []contract.RunLease
		services map[string]bool
		bytes    int
	}
	var chunks []*chunk
	for _, lease := range leases {
		size := 4*len(lease.Service) + len(lease.Holder) + 200
		placed := false
		for _, c := range chunks {
			if !c.services[lease.Service] && len(c.leases) < etcdTxnCapacity(etcdRenewalOps) && c.bytes+size <= etcdMaxTxnBytes {
				c.leases, c.services[lease.Service], c.bytes, placed = append(c.leases, lease), true, c.bytes+size, true
				break
			}
		}
		if !placed {
			chunks = append(chunks, &chunk{leases: []contract.RunLease{lease}, services: map[string]bool{lease.Service: true}, bytes: size})
		}
	}
	result := make([][]contract.RunLease, len(chunks))
	for i, c := range chunks {
		result[i] = c.leases
	}
	return result
}

// ReleaseRun implements contract.RunLeases.ReleaseRun: the release goes through the queue with the
// claims and releases of the moment, in one Txn (see send), as a transaction that deletes the run and
// run-until keys when the run key names lease (a release that no longer matches does nothing and fails no
// other entry). A release whose request failed is sent again (sendRelease: every 75ms, for up to 5 s). It
// returns once the cluster applied the release, or with an error naming etcd, its endpoints and the
// setting: ctx's when ctx ended while the release waited in line or between sends, or the last request's
// with the sends made (it may have been applied). Each wait in line and each request is bounded by the
// request timeout.
func (e *etcdBackend) ReleaseRun(ctx context.Context, lease contract.RunLease) error {
	if err := rules.ValidateRunLease(lease, 0, false); err != nil {
		return err
	}
	what := fmt.Sprintf("release of the run lease of service %q by %q", lease.Service, lease.Holder)
	if err := ctx.Err(); err != nil {
		return e.storeError(ctx, "run lease", what, err)
	}
	if err := e.sendRelease(ctx, lease); err != nil {
		return fmt.Errorf("run lease in etcd at %s (%s): %s: %w", e.endpoints, e.setting, what, err)
	}
	return nil
}

// releaseOp is the transaction releasing lease: it deletes the run and run-until keys of its service when
// the run key names lease.
func (e *etcdBackend) releaseOp(lease contract.RunLease) clientv3.Op {
	run, until := e.runKeys(lease.Service)
	mine := clientv3.Compare(clientv3.Value(run), "=", runValue(lease.Holder, lease.Tick))
	return clientv3.OpTxn([]clientv3.Cmp{mine}, []clientv3.Op{clientv3.OpDelete(run), clientv3.OpDelete(until)}, nil)
}

// releaseAnswer reads the answer to releaseOp(lease): applied, or nothing to release; an error only when
// result is not the answer to a transaction.
func (e *etcdBackend) releaseAnswer(lease contract.RunLease, result *pb.ResponseOp) etcdAnswer {
	if result.GetResponseTxn() == nil {
		return etcdAnswer{err: fmt.Errorf("etcd at %s: unexpected answer to the release of service %q", e.endpoints,
			lease.Service)}
	}
	return etcdAnswer{}
}

// leaseTxn sends one Txn of cmps, then and otherwise, bounded by the request timeout and ctx.
func (e *etcdBackend) leaseTxn(ctx context.Context, cmps []clientv3.Cmp, then, otherwise []clientv3.Op) (*clientv3.TxnResponse, error) {
	client, err := e.conn.get()
	if err != nil {
		return nil, err
	}
	request, cancel := e.request(ctx)
	defer cancel()
	return client.Txn(request).If(cmps...).Then(then...).Else(otherwise...).Commit()
}
