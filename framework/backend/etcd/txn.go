package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// claimOp is the transaction deciding c at now. Within c's window it writes c's fence when the fence is
// absent, or older than c.Tick and (of c's definition or past its LiveUntil), in three nested levels
// (etcd compares are and-ed); otherwise it reads the fence, from which decide learns the answer.
// Outside c's window it only reads the fence: c cannot win, but may learn that it holds the tick. A claim
// asking for the run lease also decides the lease with its writes (claimLeaseOp) and reads the run key
// with the fence (a re-sent claim learns whether it took the lease).
func (e *etcdBackend) claimOp(c contract.Claim, now time.Time) clientv3.Op {
	tickKey, definitionKey, liveKey := e.fenceKeys(c.Service)
	runKey, _ := e.runKeys(c.Service)
	reads := []clientv3.Op{clientv3.OpGet(tickKey), clientv3.OpGet(definitionKey), clientv3.OpGet(liveKey)}
	if c.RunLease > 0 {
		reads = append(reads, clientv3.OpGet(runKey))
	}
	if !inWindow(c, now) {
		return clientv3.OpTxn(nil, reads, nil)
	}
	tick := encodeMicros(c.Tick)
	writes := []clientv3.Op{clientv3.OpPut(tickKey, tick+"/"+c.AppID, clientv3.WithPrevKV()),
		clientv3.OpPut(definitionKey, c.Definition, clientv3.WithPrevKV()), clientv3.OpPut(liveKey, encodeMicros(c.LiveUntil))}
	if c.RunLease > 0 {
		writes = append(writes, e.claimLeaseOp(c, now))
	}
	older := clientv3.Compare(clientv3.Value(tickKey), "<", tick)
	if rules.SabotageFence { // test builds only (sabotage_on.go): the tick comparison always holds
		older = clientv3.Compare(clientv3.CreateRevision(tickKey), ">", 0)
	}
	pastLive := clientv3.OpTxn([]clientv3.Cmp{older, clientv3.Compare(clientv3.Value(liveKey), "<", encodeMicros(now))}, writes, reads)
	sameDefinition := clientv3.OpTxn([]clientv3.Cmp{older, clientv3.Compare(clientv3.Value(definitionKey), "=", c.Definition)},
		writes, []clientv3.Op{pastLive})
	absent := clientv3.Compare(clientv3.CreateRevision(tickKey), "=", 0)
	return clientv3.OpTxn([]clientv3.Cmp{absent}, writes, []clientv3.Op{sameDefinition})
}

func inWindow(c contract.Claim, now time.Time) bool {
	return !now.Before(c.Tick.Add(-c.HoldTime)) && !now.After(c.Tick.Add(c.HoldTime))
}

// decide reads the answer to claimOp(c, now): c won when a level's compares held; otherwise the fence read
// decides, by fence.claim at now, and a claim asking for the run lease that holds its tick reads Busy from
// the run key (see busyOf).
func (e *etcdBackend) decide(c contract.Claim, now time.Time, result *pb.ResponseOp) etcdAnswer {
	txn := result.GetResponseTxn()
	for level := 0; txn != nil && inWindow(c, now) && level < 3; level++ {
		if txn.Succeeded {
			return e.wonAnswer(c, txn.Responses)
		}
		if level < 2 && len(txn.Responses) == 1 {
			txn = txn.Responses[0].GetResponseTxn()
		}
	}
	reads := 3
	if c.RunLease > 0 {
		reads = 4
	}
	if txn == nil || len(txn.Responses) != reads {
		return etcdAnswer{err: fmt.Errorf("etcd at %s: unexpected answer to the claim of service %q", e.endpoints, c.Service)}
	}
	f, err := parseFence(txn.Responses[:3])
	if err != nil {
		tickKey, _, _ := e.fenceKeys(c.Service)
		return etcdAnswer{err: fmt.Errorf("etcd at %s: fence %s of service %q: %w", e.endpoints, tickKey, c.Service, err)}
	}
	selected, won, err := f.Claim(c, now)
	if won {
		return etcdAnswer{err: fmt.Errorf("etcd at %s: the fence of service %q allows a claim the transaction refused", e.endpoints, c.Service)}
	}
	answer := etcdAnswer{claimed: contract.Claimed{Holder: selected}, err: err}
	if err == nil && selected == c.AppID && c.RunLease > 0 {
		answer.claimed.Busy, answer.err = e.busyOf(c, txn.Responses[3])
	}
	return answer
}

// wonAnswer is the answer to claim c, which won its tick with writes (claimOp's, with their answers): the
// former fence gives Previous; a claim asking for the run lease is Busy when the lease was held.
func (e *etcdBackend) wonAnswer(c contract.Claim, writes []*pb.ResponseOp) etcdAnswer {
	claimed := contract.Claimed{Holder: c.AppID, Previous: previousOfWrites(c, writes)}
	if c.RunLease <= 0 {
		return etcdAnswer{claimed: claimed}
	}
	var lease *pb.TxnResponse
	if len(writes) == 4 {
		lease = writes[3].GetResponseTxn()
	}
	switch {
	case lease == nil || (lease.Succeeded && len(lease.Responses) != 1):
		return etcdAnswer{err: fmt.Errorf("etcd at %s: unexpected answer to the claim of service %q", e.endpoints, c.Service)}
	case lease.Succeeded: // held: the read of the run key names the holder
		var err error
		claimed.Busy, err = e.busyOf(c, lease.Responses[0])
		return etcdAnswer{claimed: claimed, err: err}
	}
	return etcdAnswer{claimed: claimed}
}

// previousOfWrites returns contract.Claimed.Previous of a claim c that won with writes (claimOp's puts of
// the tick and definition keys, with their former values): the former tick when the former definition is
// c's; zero when there was no fence or a value does not parse.
func previousOfWrites(c contract.Claim, writes []*pb.ResponseOp) time.Time {
	if len(writes) < 2 {
		return time.Time{}
	}
	tickKV, definitionKV := writes[0].GetResponsePut().GetPrevKv(), writes[1].GetResponsePut().GetPrevKv()
	if tickKV == nil || definitionKV == nil {
		return time.Time{}
	}
	tick, _, _ := strings.Cut(string(tickKV.Value), "/")
	previous, err := decodeMicros(tick)
	if err != nil {
		return time.Time{}
	}
	return rules.Fence{Tick: previous, Definition: string(definitionKV.Value)}.Previous(c)
}

// parseFence reads a fence from the reads of its tick, definition and live keys; no tick key is no fence.
func parseFence(reads []*pb.ResponseOp) (rules.Fence, error) {
	var values [3]string
	for i, read := range reads {
		kvs := read.GetResponseRange().GetKvs()
		if len(kvs) == 0 && i == 0 {
			return rules.Fence{}, nil
		}
		if len(kvs) == 0 {
			return rules.Fence{}, errors.New("the tick key is there, the definition or live key is not")
		}
		values[i] = string(kvs[0].Value)
	}
	tick, winner, found := strings.Cut(values[0], "/")
	tickTime, err := decodeMicros(tick)
	liveTime, liveErr := decodeMicros(values[2])
	if !found || err != nil || liveErr != nil {
		return rules.Fence{}, fmt.Errorf("malformed fence %q, live until %q: remove the keys of the service", values[0], values[2])
	}
	return rules.Fence{Tick: tickTime, Winner: winner, Definition: values[1], LiveUntil: liveTime}, nil
}

// encodeMicros writes t in µs since the Unix epoch as 20 digits whose byte order is the order of times.
func encodeMicros(t time.Time) string {
	return fmt.Sprintf("%020d", uint64(t.UnixMicro())^(1<<63))
}

func decodeMicros(text string) (time.Time, error) {
	if len(text) != 20 {
		return time.Time{}, errors.New("not 20 digits")
	}
	number, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(int64(number ^ (1 << 63))), nil
}

// etcdRetryable reports whether a claim request that failed with err is worth sending again: not when
// the cluster refused it for good (a wrong password, a missing permission, a request too large).
func etcdRetryable(err error) bool {
	code := status.Code(err)
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		code = etcdErr.Code()
	}
	switch code {
	case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated:
		return false
	}
	return true
}

// commitTxns sends each of chunks as one Txn of its operations (laid out by layoutTxn for operations whose
// transactions spend cost below them), etcdHistoryInFlight at a time, each bounded by the request timeout
// and ctx, and returns the answers in the order of chunks, each with the answers to its chunk's operations
// in order (the groups' answers flattened). The error is the first failure's, with how many requests
// failed; a failed request may have been applied.
func (e *etcdBackend) commitTxns(ctx context.Context, chunks [][]clientv3.Op, cost int) ([]*clientv3.TxnResponse, error) {
	if len(chunks) == 0 {
		return nil, nil
	}
	client, err := e.conn.get()
	if err != nil {
		return nil, err
	}
	responses := make([]*clientv3.TxnResponse, len(chunks))
	errs := make([]error, len(chunks))
	slots := make(chan struct{}, etcdHistoryInFlight)
	var wg sync.WaitGroup
	for i, ops := range chunks {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			request, cancel := context.WithTimeout(clientv3.WithRequireLeader(ctx), e.timeout)
			defer cancel()
			responses[i], errs[i] = client.Txn(request).Then(layoutTxn(ops, cost)...).Commit()
			if errs[i] == nil {
				responses[i].Responses, errs[i] = flattenTxn(responses[i].Responses, len(ops), cost)
			}
		}()
	}
	wg.Wait()
	if err := firstOf(errs); err != nil {
		return nil, err
	}
	return responses, nil
}

// firstOf returns nil when errs are all nil, else the first error, with how many failed when errs holds
// more than one request's.
func firstOf(errs []error) error {
	var first error
	failed := 0
	for _, err := range errs {
		if err != nil && first == nil {
			first = err
		}
		if err != nil {
			failed++
		}
	}
	if first != nil && len(errs) > 1 {
		return fmt.Errorf("%d of %d requests failed, the first with: %w", failed, len(errs), first)
	}
	return first
}
