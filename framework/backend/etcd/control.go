package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The job control of the etcd backend (contract.JobControl), under <prefix>control/:
//   - paused/<job> (path-escaped, as the history's job names): a paused job; its value is when it was
//     paused (RFC 3339, for operators). No lease: a pause lasts until resumed.
//   - requests/<made>/<id>: a request, its value contract.ControlRequest as JSON; <made> is its Made in µs,
//     20 digits whose byte order is the order of times (encodeMicros), so the keys list oldest first and a
//     heartbeat reads only those made within contract.ControlRequestTTL, by a key range.
//   - answers/<id>/<at>/<app id>: an answer, its value contract.ControlAnswer as JSON; <at> as <made>, so
//     a request's answers list oldest first.
//
// Requests and answers are put with a lease of contract.ControlRequestTTL granted for each (2 requests: a
// Grant and a Put), which etcd deletes when it expires, so nothing needs cleaning. One lease per key, not a
// shared one: requests and answers are a few per operator command, and a lease per key lives exactly the
// TTL after its write (a shared lease would keep keys up to twice as long and need a holder and renewal).
// These leases belong to no process: Close does not revoke them (an operator's `cron run` closes its
// backend right after AddRequest; its request must outlive it).
//
// The processes read the orders in the Txn of their heartbeat (see Heartbeat): a range read of paused/
// (keys only) and one of requests/ from now-ControlRequestTTL (the heartbeat's clock) on.

const etcdControlTTL = int64(contract.ControlRequestTTL / time.Second)

func (e *etcdBackend) controlPrefix() string { return e.prefix + "control/" }

func (e *etcdBackend) pausedKey(job string) string {
	return e.controlPrefix() + "paused/" + url.PathEscape(job)
}

func (e *etcdBackend) requestKey(r contract.ControlRequest) string {
	return e.controlPrefix() + "requests/" + encodeMicros(r.Made) + "/" + url.PathEscape(r.ID)
}

func (e *etcdBackend) answersPrefix(id string) string {
	return e.controlPrefix() + "answers/" + url.PathEscape(id) + "/"
}

// SetPaused implements contract.JobControl.SetPaused in one request: a Put of job's paused key, or its
// Delete. It returns an error when job is empty.
func (e *etcdBackend) SetPaused(ctx context.Context, job string, paused bool) error {
	if job == "" {
		return errors.New("SetPaused needs a job name, got an empty one")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	what := fmt.Sprintf("resuming job %q", job)
	op := clientv3.OpDelete(e.pausedKey(job))
	if paused {
		what = fmt.Sprintf("pausing job %q", job)
		op = clientv3.OpPut(e.pausedKey(job), e.now().UTC().Format(time.RFC3339))
	}
	client, err := e.conn.get()
	if err != nil {
		return e.storeError(ctx, "job control", what, err)
	}
	request, cancel := e.request(ctx)
	defer cancel()
	if _, err := client.Do(request, op); err != nil {
		return e.storeError(ctx, "job control", what, err)
	}
	return nil
}

// AddRequest implements contract.JobControl.AddRequest: request under a lease of ControlRequestTTL (a Grant
// and a Put). Besides the contract's errors, a request without Made is an error (it would never be seen).
func (e *etcdBackend) AddRequest(ctx context.Context, request contract.ControlRequest) error {
	if err := rules.ValidateControlRequest(request); err != nil {
		return err
	}
	value, err := json.Marshal(request)
	if err != nil {
		return fmt.Errorf("control request %q: %w", request.ID, err)
	}
	what := fmt.Sprintf("%s request %q of job %q", request.Kind, request.ID, request.Job)
	return e.putExpiring(ctx, what, e.requestKey(request), value)
}

// Answer implements contract.JobControl.Answer: answer under a lease of ControlRequestTTL (a Grant and a
// Put). It returns an error when id is empty.
func (e *etcdBackend) Answer(ctx context.Context, id string, answer contract.ControlAnswer) error {
	if id == "" {
		return fmt.Errorf("answer %q of process %q without a request id: Answer needs one", answer.Outcome, answer.AppID)
	}
	value, err := json.Marshal(answer)
	if err != nil {
		return fmt.Errorf("answer to request %q: %w", id, err)
	}
	key := e.answersPrefix(id) + encodeMicros(answer.At) + "/" + url.PathEscape(answer.AppID)
	return e.putExpiring(ctx, fmt.Sprintf("answer of process %q to request %q", answer.AppID, id), key, value)
}

// putExpiring puts value at key with a new lease of ControlRequestTTL.
func (e *etcdBackend) putExpiring(ctx context.Context, what, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	client, err := e.conn.get()
	if err != nil {
		return e.storeError(ctx, "job control", what, err)
	}
	request, cancel := e.request(ctx)
	granted, err := client.Grant(request, etcdControlTTL)
	cancel()
	if err != nil {
		return e.storeError(ctx, "job control", what, fmt.Errorf("granting a lease of %d s: %w", etcdControlTTL, err))
	}
	request, cancel = e.request(ctx)
	defer cancel()
	if _, err := client.Put(request, key, string(value), clientv3.WithLease(granted.ID)); err != nil {
		return e.storeError(ctx, "job control", what, err)
	}
	return nil
}

// Answers implements contract.JobControl.Answers in one read, ordered by At. It returns an error when id
// is empty, or naming the key of a value that is not an answer.
func (e *etcdBackend) Answers(ctx context.Context, id string) ([]contract.ControlAnswer, error) {
	if id == "" {
		return nil, errors.New("Answers needs a request id, got an empty one")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("answers to request %q", id)
	client, err := e.conn.get()
	if err != nil {
		return nil, e.storeError(ctx, "job control", what, err)
	}
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Get(request, e.answersPrefix(id), clientv3.WithPrefix())
	if err != nil {
		return nil, e.storeError(ctx, "job control", what, err)
	}
	answers := make([]contract.ControlAnswer, 0, len(response.Kvs))
	for _, kv := range response.Kvs {
		var answer contract.ControlAnswer
		if err := json.Unmarshal(kv.Value, &answer); err != nil {
			return nil, fmt.Errorf("job control in etcd at %s: key %s is not an answer (%v): delete it", e.endpoints, kv.Key, err)
		}
		answers = append(answers, answer)
	}
	return answers, nil
}

// ordersReads are the reads of the orders at now, for the heartbeat's Txn: the paused jobs (keys only),
// then the requests made since now-ControlRequestTTL.
func (e *etcdBackend) ordersReads(now time.Time) []clientv3.Op {
	requests := e.controlPrefix() + "requests/"
	return []clientv3.Op{
		clientv3.OpGet(e.controlPrefix()+"paused/", clientv3.WithPrefix(), clientv3.WithKeysOnly()),
		clientv3.OpGet(requests+encodeMicros(now.Add(-contract.ControlRequestTTL)), clientv3.WithRange(clientv3.GetPrefixRangeEnd(requests))),
	}
}

// parseOrders reads the answers to ordersReads(now): the paused jobs, sorted, and the requests made after
// now-ControlRequestTTL, oldest first. A key or value it cannot read is an error naming the key.
func (e *etcdBackend) parseOrders(reads []*pb.ResponseOp, now time.Time) (contract.Orders, error) {
	if len(reads) != 2 {
		return contract.Orders{}, fmt.Errorf("job control in etcd at %s: unexpected answer of %d reads to 2", e.endpoints, len(reads))
	}
	var orders contract.Orders
	var err error
	if orders.Paused, err = e.parsePaused(reads[0]); err != nil {
		return contract.Orders{}, err
	}
	cutoff := now.Add(-contract.ControlRequestTTL)
	for _, kv := range reads[1].GetResponseRange().GetKvs() {
		var request contract.ControlRequest
		if err := json.Unmarshal(kv.Value, &request); err != nil {
			return contract.Orders{}, fmt.Errorf("job control in etcd at %s: key %s is not a control request (%v): delete it", e.endpoints, kv.Key, err)
		}
		if request.Made.After(cutoff) {
			orders.Requests = append(orders.Requests, request)
		}
	}
	return orders, nil
}

// parsePaused reads the paused jobs, sorted, from a range read of the paused keys.
func (e *etcdBackend) parsePaused(read *pb.ResponseOp) ([]string, error) {
	var jobs []string
	paused := e.controlPrefix() + "paused/"
	for _, kv := range read.GetResponseRange().GetKvs() {
		job, err := url.PathUnescape(strings.TrimPrefix(string(kv.Key), paused))
		if err != nil {
			return nil, fmt.Errorf("job control in etcd at %s: key %s is not a paused job (%v): delete it", e.endpoints, kv.Key, err)
		}
		jobs = append(jobs, job)
	}
	slices.Sort(jobs) // keys sort by the escaped names
	return jobs, nil
}

var _ contract.JobControl = (*etcdBackend)(nil)
