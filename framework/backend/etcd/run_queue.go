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

// The etcd backend keeps a service's queue of buffered ticks (contract.RunLeases.QueueRun) in the key
// <prefix>run-queues/<service>, apart from the fence and never expiring (no lease): "<taken>/<ticks>", the
// newest tick taken off the queue ("" when none) and the ticks waiting, oldest first, separated by commas,
// each as encodeMicros (µs, as the fence's ticks: 21 bytes a tick, about 21 KB at rules.MaxQueued). A
// missing key is an empty queue.
//
// The queue goes with the service's run lease, the run and run-until keys of claims, AcquireRun, RenewRuns
// and ReleaseRun (run_lease.go). QueueRun reads the three keys at one revision, decides by
// rules.RunQueue.Queue at the local clock's now (the lease is held while run-until >= now, as AcquireRun
// judges it), and writes what changed (the queue key; the run and run-until keys when it takes the lease)
// in a Txn that compares the mod revisions of the three keys with those it read (0: missing). So the queue
// and the lease change together or not at all, and only from the state they were decided on: a claim or an
// acquire taking the lease, a renewal, a release or another QueueRun landing in between fails the compare
// (the Txn reads the three keys again in its else branch) and QueueRun decides again, up to
// etcdQueueAttempts times. A decision that changes nothing writes nothing (its read is the answer).
// ReleaseRun returns once the cluster applied the release, so a QueueRun made after it reads the lease
// released. A re-sent QueueRun (its reply lost) decides again on what the first wrote, which the rule
// answers as the first.

// etcdQueueAttempts bounds the decisions of one QueueRun: each decision after the first follows a Txn
// that lost the race to another client's write of the service's lease or queue.
const etcdQueueAttempts = 100

// runQueueKeys returns the keys QueueRun reads and compares for service, in this order: the run and
// run-until keys of its run lease, and its queue key.
func (e *etcdBackend) runQueueKeys(service string) [3]string {
	run, until := e.runKeys(service)
	return [3]string{run, until, e.prefix + "run-queues/" + service}
}

// runQueueState is a service's run lease and queue as QueueRun read them, with the mod revisions of the
// keys of runQueueKeys (0: missing).
type runQueueState struct {
	lease     rules.Lease
	queue     rules.RunQueue
	revisions [3]int64
}

// QueueRun implements contract.RunLeases.QueueRun (see above): a Txn reading the three keys, then a Txn
// writing them when the decision changes anything, and one more Txn per race lost to another client. The
// ticks are cut to µs. It returns an error for invalid input (rules.ValidateRunQueue), ctx's error when
// ctx ends first, an error naming etcd, its endpoints and the setting when a request fails (no quorum, no
// leader, a timeout, a closed backend; a failed Txn may have been applied: calling again with the same
// run answers as the first would have) or when etcdQueueAttempts races were lost, and an error naming the
// keys when a value is malformed.
func (e *etcdBackend) QueueRun(ctx context.Context, run contract.RunLease, max int,
	ttl time.Duration) (contract.RunLease, []time.Time, error) {
	if err := rules.ValidateRunQueue(run, max, ttl); err != nil {
		return contract.RunLease{}, nil, err
	}
	what := fmt.Sprintf("queue of tick %s of service %q for %q", rules.FormatTime(run.Tick), run.Service,
		run.Holder)
	if err := ctx.Err(); err != nil {
		return contract.RunLease{}, nil, e.storeError(ctx, "run queue", what, err)
	}
	client, err := e.conn.get()
	if err != nil {
		return contract.RunLease{}, nil, e.storeError(ctx, "run queue", what, err)
	}
	run.Tick = time.UnixMicro(run.Tick.UnixMicro())
	keys := e.runQueueKeys(run.Service)
	reads, err := e.readRunQueue(ctx, client, keys)
	for attempt := 0; err == nil && attempt < etcdQueueAttempts; attempt++ {
		current, parseErr := e.parseRunQueue(run.Service, keys, reads)
		if parseErr != nil {
			return contract.RunLease{}, nil, parseErr
		}
		now := e.now().Truncate(time.Microsecond)
		queue, lease, holder := current.queue.Queue(current.lease, run, max, ttl, now)
		writes := e.runQueueWrites(run.Service, keys[2], current, queue, lease)
		if len(writes) == 0 {
			return holder, queue.Waiting, nil
		}
		var put bool
		if put, reads, err = e.putRunQueue(ctx, client, keys, current.revisions, writes); put {
			return holder, queue.Waiting, nil
		}
	}
	if err == nil {
		err = fmt.Errorf("other clients changed the lease or queue under it %d times in a row: call again",
			etcdQueueAttempts)
	}
	return contract.RunLease{}, nil, e.storeError(ctx, "run queue", what, err)
}

// runQueueWrites returns the puts that turn current, keeping the queue at queueKey, into queue and lease:
// the queue key when the queue changed, the run and run-until keys when the lease did (QueueRun took it).
func (e *etcdBackend) runQueueWrites(service, queueKey string, current runQueueState, queue rules.RunQueue,
	lease rules.Lease) []clientv3.Op {
	var writes []clientv3.Op
	if value := encodeRunQueue(queue); value != encodeRunQueue(current.queue) {
		writes = append(writes, clientv3.OpPut(queueKey, value))
	}
	was := current.lease
	if lease.Holder != was.Holder || !lease.Tick.Equal(was.Tick) || !lease.Until.Equal(was.Until) {
		writes = append(writes, e.takeLease(service, lease.Holder, lease.Tick, lease.Until)...)
	}
	return writes
}

// runQueueReads returns the reads of keys, as one Txn applies them: at one revision.
func runQueueReads(keys [3]string) []clientv3.Op {
	return []clientv3.Op{clientv3.OpGet(keys[0]), clientv3.OpGet(keys[1]), clientv3.OpGet(keys[2])}
}

// readRunQueue reads keys (runQueueKeys) at one revision in one Txn, within the request timeout, and returns
// the answers to the reads, in the order of keys.
func (e *etcdBackend) readRunQueue(ctx context.Context, client *clientv3.Client,
	keys [3]string) ([]*pb.ResponseOp, error) {
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Txn(request).Then(runQueueReads(keys)...).Commit()
	if err != nil {
		return nil, err
	}
	return response.Responses, nil
}

// putRunQueue applies writes when keys still have the mod revisions read (0: missing), within the request
// timeout. It returns whether it did; when not, the answers to the reads of keys as they are now.
func (e *etcdBackend) putRunQueue(ctx context.Context, client *clientv3.Client, keys [3]string,
	revisions [3]int64, writes []clientv3.Op) (bool, []*pb.ResponseOp, error) {
	compares := make([]clientv3.Cmp, len(keys))
	for i, key := range keys {
		compares[i] = clientv3.Compare(clientv3.ModRevision(key), "=", revisions[i])
	}
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Txn(request).If(compares...).Then(writes...).Else(runQueueReads(keys)...).Commit()
	switch {
	case err != nil:
		return false, nil, err
	case response.Succeeded:
		return true, nil, nil
	}
	return false, response.Responses, nil
}

// parseRunQueue reads service's run lease and queue from reads, the answers to the reads of keys
// (runQueueKeys). A run-until key without a run key is a lease held by rules.UnknownHolder (as AcquireRun
// answers it), a missing run-until key a free lease. It returns an error naming etcd and the keys when a
// value is malformed or reads is not the answer to three reads.
func (e *etcdBackend) parseRunQueue(service string, keys [3]string,
	reads []*pb.ResponseOp) (runQueueState, error) {
	var state runQueueState
	if len(reads) != len(keys) {
		return state, fmt.Errorf("etcd at %s: unexpected answer to the reads of the run queue of service %q",
			e.endpoints, service)
	}
	for i, read := range reads {
		if read.GetResponseRange() == nil {
			return state, fmt.Errorf("etcd at %s: unexpected answer to the read of %s", e.endpoints, keys[i])
		}
		if kvs := read.GetResponseRange().Kvs; len(kvs) > 0 {
			state.revisions[i] = kvs[0].ModRevision
		}
	}
	holder, err := e.parseRun(service, reads[0])
	if err != nil {
		return state, err
	}
	until, err := e.parseRunUntil(service, reads[1])
	if err != nil {
		return state, err
	}
	state.lease = rules.Lease{Holder: holder.Holder, Tick: holder.Tick, Until: until}
	if state.lease.Holder == "" && !until.IsZero() { // run-until without run: not written by hade
		state.lease.Holder = rules.UnknownHolder
	}
	state.queue, err = e.parseQueue(service, keys[2], reads[2])
	return state, err
}

// parseRunUntil returns until when service's run lease lives from read, a read of its run-until key: zero
// (a free lease) when it is absent. It returns an error naming etcd and the keys when it is malformed.
func (e *etcdBackend) parseRunUntil(service string, read *pb.ResponseOp) (time.Time, error) {
	kvs := read.GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return time.Time{}, nil
	}
	until, err := decodeMicros(string(kvs[0].Value))
	if err != nil {
		run, untilKey := e.runKeys(service)
		return time.Time{}, fmt.Errorf("etcd at %s: run lease %s of service %q is malformed (%q): "+
			"delete %s and %s", e.endpoints, untilKey, service, kvs[0].Value, run, untilKey)
	}
	return until, nil
}

// parseQueue returns service's queue from read, a read of its queue key: empty when the key is missing.
// It returns an error naming etcd and the key when the value is malformed (decodeRunQueue).
func (e *etcdBackend) parseQueue(service, key string, read *pb.ResponseOp) (rules.RunQueue, error) {
	kvs := read.GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return rules.RunQueue{}, nil
	}
	queue, ok := decodeRunQueue(string(kvs[0].Value))
	if !ok {
		return rules.RunQueue{}, fmt.Errorf("etcd at %s: run queue %s of service %q is malformed (%q): put "+
			"\"<taken>/<tick>,<tick>…\" there (encodeMicros), or delete it to empty the queue",
			e.endpoints, key, service, kvs[0].Value)
	}
	return queue, nil
}

// encodeRunQueue returns the value of the queue key holding q: "<taken>/<tick>,<tick>…", the taken tick ""
// when zero, each tick as encodeMicros (µs).
func encodeRunQueue(q rules.RunQueue) string {
	var value strings.Builder
	if !q.Taken.IsZero() {
		value.WriteString(encodeMicros(q.Taken))
	}
	value.WriteByte('/')
	for i, tick := range q.Waiting {
		if i > 0 {
			value.WriteByte(',')
		}
		value.WriteString(encodeMicros(tick))
	}
	return value.String()
}

// decodeRunQueue returns the queue encodeRunQueue encoded in value, and false when value is malformed: not
// "<taken>/<ticks>", or its ticks not each after the one before (the first after the taken tick).
func decodeRunQueue(value string) (rules.RunQueue, bool) {
	taken, ticks, found := strings.Cut(value, "/")
	var queue rules.RunQueue
	var err error
	if !found {
		return rules.RunQueue{}, false
	}
	if taken != "" {
		if queue.Taken, err = decodeMicros(taken); err != nil {
			return rules.RunQueue{}, false
		}
	}
	if ticks == "" {
		return queue, true
	}
	last := queue.Taken
	for _, text := range strings.Split(ticks, ",") {
		tick, err := decodeMicros(text)
		if err != nil || !tick.After(last) {
			return rules.RunQueue{}, false
		}
		queue.Waiting, last = append(queue.Waiting, tick), tick
	}
	return queue, true
}
