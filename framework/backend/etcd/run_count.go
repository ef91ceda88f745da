package etcd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The etcd backend counts a service's runs (contract.RunLeases.CountRun) in the key
// <prefix>run-counts/<service>, apart from the fence and never expiring (no lease): "<count>/<tick>", the
// runs counted and the tick counted last (encodeMicros: µs, as the fence's ticks). A missing key has
// counted none. CountRun reads the key, decides by rules.RunCount.Add and, when it counts, puts the next
// value in a Txn that compares the key's mod revision with the one it read (0: still missing), so that a
// put is applied only to the count it was decided on. A Txn that lost the race to another client reads
// the key again in its else branch and CountRun decides again: every lost race is a run another client
// counted, so CountRun retries at most limit times, each request bounded by the request timeout and ctx.

// runCountKey returns the key of service's run count.
func (e *etcdBackend) runCountKey(service string) string { return e.prefix + "run-counts/" + service }

// CountRun implements contract.RunLeases.CountRun (see above): one Get when it counts nothing, else a Get
// and a Txn, and one more Txn per race lost to another client. It returns an error for invalid input
// (rules.ValidateRunCount), ctx's error when ctx ends first, an error naming etcd, its endpoints and the
// setting when a request fails (no quorum, no leader, a timeout, a closed backend; a failed Txn may have
// been applied: calling again with the same tick says so), and an error naming the key when its value is
// malformed.
func (e *etcdBackend) CountRun(ctx context.Context, run contract.RunLease, limit int) (int, bool, error) {
	if err := rules.ValidateRunCount(run, limit); err != nil {
		return 0, false, err
	}
	what := fmt.Sprintf("run count of service %q", run.Service)
	if err := ctx.Err(); err != nil {
		return 0, false, e.storeError(ctx, "run count", what, err)
	}
	client, err := e.conn.get()
	if err != nil {
		return 0, false, e.storeError(ctx, "run count", what, err)
	}
	key, tick := e.runCountKey(run.Service), time.UnixMicro(run.Tick.UnixMicro())
	read, err := e.readRunCount(ctx, client, key)
	for err == nil {
		current, parseErr := e.parseRunCount(run.Service, key, read)
		if parseErr != nil {
			return 0, false, parseErr
		}
		next, count, counted := current.Add(tick, limit)
		if next.Count == current.Count {
			return count, counted, nil
		}
		var put bool
		if put, read, err = e.putRunCount(ctx, client, read, key, next); put {
			return count, counted, nil
		}
	}
	return 0, false, e.storeError(ctx, "run count", what, err)
}

// readRunCount reads key within the request timeout: nil when it is missing.
func (e *etcdBackend) readRunCount(ctx context.Context, client *clientv3.Client, key string) (*mvccpb.KeyValue, error) {
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Get(request, key)
	if err != nil || len(response.Kvs) == 0 {
		return nil, err
	}
	return response.Kvs[0], nil
}

// putRunCount puts next at key when key is still as read (its mod revision; nil: missing), within the
// request timeout. It returns whether it did; when not, key as it is now (nil: missing).
func (e *etcdBackend) putRunCount(ctx context.Context, client *clientv3.Client, read *mvccpb.KeyValue, key string,
	next rules.RunCount) (bool, *mvccpb.KeyValue, error) {
	var revision int64
	if read != nil {
		revision = read.ModRevision
	}
	request, cancel := e.request(ctx)
	defer cancel()
	value := strconv.Itoa(next.Count) + "/" + encodeMicros(next.Last)
	response, err := client.Txn(request).If(clientv3.Compare(clientv3.ModRevision(key), "=", revision)).
		Then(clientv3.OpPut(key, value)).Else(clientv3.OpGet(key)).Commit()
	switch {
	case err != nil:
		return false, nil, err
	case response.Succeeded:
		return true, nil, nil
	case len(response.Responses) != 1 || response.Responses[0].GetResponseRange() == nil:
		return false, nil, fmt.Errorf("unexpected answer to the Txn of %s", key)
	}
	if kvs := response.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		return false, kvs[0], nil
	}
	return false, nil, nil
}

// parseRunCount reads the run count of service from read, its key's value: none when read is nil. It
// returns an error naming etcd and the key when the value is not "<count>/<tick>".
func (e *etcdBackend) parseRunCount(service, key string, read *mvccpb.KeyValue) (rules.RunCount, error) {
	if read == nil {
		return rules.RunCount{}, nil
	}
	count, tick, found := strings.Cut(string(read.Value), "/")
	n, countErr := strconv.Atoi(count)
	last, tickErr := decodeMicros(tick)
	if !found || countErr != nil || tickErr != nil || n < 1 {
		return rules.RunCount{}, fmt.Errorf("etcd at %s: run count %s of service %q is malformed (%q): put \"<count>/<tick>\" there, or delete it to count the service's runs from 0",
			e.endpoints, key, service, read.Value)
	}
	return rules.RunCount{Count: n, Last: last}, nil
}
