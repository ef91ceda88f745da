package etcd

import (
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The layout of a request's operations. etcd bounds each level of a transaction, not the request: a level
// counts the largest of its compares, then-ops and else-ops, and leaves its nested transactions
// --max-txn-ops (etcdMaxTxnOps) minus what it and the levels above it counted. N operations whose own
// transactions spend cost below them fit one level when N+cost <= 128 (flat); more go in groups, each an
// unconditional transaction of K of them: G groups of K fit when G+K+cost <= 128, so one request holds up
// to 64×64 puts, 63×63 releases or renewals, 59×60 claims or 57×57 claims asking for the run lease
// (etcdTxnCapacity), and its size (etcdMaxTxnBytes) is what bounds it in practice. The operations keep
// their order: etcd applies a transaction's operations, and its groups', in order, each seeing the writes
// of those before it.

// etcdTxnCapacity returns how many operations whose transactions spend cost (>= 0) below their own level
// one request holds: G×K with G+K = etcdMaxTxnOps-cost (see the layout above).
func etcdTxnCapacity(cost int) int {
	budget := etcdMaxTxnOps - cost
	return (budget / 2) * ((budget + 1) / 2)
}

// etcdGroupSize returns the K of n operations of cost laid out in groups of K, the smallest K with
// K*K >= n, or 0 when they fit flat. For n <= etcdTxnCapacity(cost), G+K+cost <= etcdMaxTxnOps.
func etcdGroupSize(n, cost int) int {
	if n+cost <= etcdMaxTxnOps {
		return 0
	}
	size := 1
	for size*size < n {
		size++
	}
	return size
}

// layoutTxn returns the then-ops of one request holding ops, whose transactions spend cost below them:
// ops themselves when they fit flat, else ops in order in groups of etcdGroupSize, each an unconditional
// transaction. flattenTxn reads its answer.
func layoutTxn(ops []clientv3.Op, cost int) []clientv3.Op {
	size := etcdGroupSize(len(ops), cost)
	if size == 0 {
		return ops
	}
	groups := make([]clientv3.Op, 0, (len(ops)+size-1)/size)
	for start := 0; start < len(ops); start += size {
		groups = append(groups, clientv3.OpTxn(nil, ops[start:min(start+size, len(ops))], nil))
	}
	return groups
}

// flattenTxn returns the answers to the n operations of cost that layoutTxn laid out, in order, from the
// request's answers; an error when they are not n.
func flattenTxn(answers []*pb.ResponseOp, n, cost int) ([]*pb.ResponseOp, error) {
	if etcdGroupSize(n, cost) > 0 {
		flat := make([]*pb.ResponseOp, 0, n)
		for _, group := range answers {
			flat = append(flat, group.GetResponseTxn().GetResponses()...)
		}
		answers = flat
	}
	if len(answers) != n {
		return nil, fmt.Errorf("unexpected answer of %d results to %d operations", len(answers), n)
	}
	return answers, nil
}
