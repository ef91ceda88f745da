package etcd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// The job control of the etcd backend (contract.JobControl), under <prefix>control/:
//   - paused/<job> (path-escaped, as the history's job names): a paused job; its value is when it was
//     paused (RFC 3339, for operators), then, when the pause has a note, a line break ("\n") and the note,
//     byte for byte (encodePause). A value without a line break is a pause without a note: those the
//     framework wrote before notes were kept (the time only) read as note "". No lease: a pause lasts
//     until resumed.
//   - request-records/<made>/<id>: a request, its value the body, byte for byte; <made> is its Made in µs,
//     20 digits whose byte order is the order of times (encodeMicros), so the keys list oldest first (by
//     Made, then ID) and a heartbeat reads only those made within contract.ControlRequestTTL, by a key
//     range.
//   - answer-records/<id>/<place>/<client>/<app id>: an answer, its value the body; <place> (as <made>)
//     is a stamp of the answering backend's clock that grows with each answer and record it stores
//     (appendStamps) and <client> names that backend (random), so that each answer has a key of its own.
//     Answers reads a request's answers in the order etcd stored them: by their keys' create revision.
//
// <id> and <app id> are path-escaped. The requests and answers of the framework's previous format
// (requests/, answers/) are not read; their leases delete them within ControlRequestTTL.
//
// Requests and answers are put with a lease of contract.ControlRequestTTL granted for each (2 requests: a
// Grant and a Put), which etcd deletes when it expires, so nothing needs cleaning. One lease per key, not a
// shared one: requests and answers are a few per operator command, and a lease per key lives exactly the
// TTL after its write (a shared lease would keep keys up to twice as long and need a holder and renewal).
// These leases belong to no process: Close does not revoke them (an operator's `cron run` closes its
// backend right after AddRequest; its request must outlive it).
//
// The processes read the orders in the Txn of their heartbeat (see Heartbeat): a range read of paused/
// (keys and notes) and one of requests/ from now-ControlRequestTTL (the heartbeat's clock) on.

const etcdControlTTL = int64(contract.ControlRequestTTL / time.Second)

func (e *etcdBackend) controlPrefix() string { return e.prefix + "control/" }

func (e *etcdBackend) pausedKey(job string) string {
	return e.controlPrefix() + "paused/" + url.PathEscape(job)
}

func (e *etcdBackend) requestsPrefix() string { return e.controlPrefix() + "request-records/" }

func (e *etcdBackend) requestKey(r contract.ControlRequest) string {
	return e.requestsPrefix() + encodeMicros(r.Made) + "/" + url.PathEscape(r.ID)
}

func (e *etcdBackend) answersPrefix(id string) string {
	return e.controlPrefix() + "answer-records/" + url.PathEscape(id) + "/"
}

// answerKey is the key of appID's answer to request id, placed after every answer this backend stored.
func (e *etcdBackend) answerKey(id, appID string) string {
	place := encodeMicros(time.UnixMicro(e.appendStamps(1)))
	return e.answersPrefix(id) + place + "/" + e.client + "/" + url.PathEscape(appID)
}

// SetPaused implements contract.JobControl.SetPaused in one request: a Put of job's paused key with the
// time and note (encodePause; it replaces the note of a paused job), or its Delete, note and all. It
// returns an error when job is empty.
func (e *etcdBackend) SetPaused(ctx context.Context, job string, paused bool, note string) error {
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
		op = clientv3.OpPut(e.pausedKey(job), encodePause(e.now(), note))
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
// and a Put). It returns an error for a missing ID, Made or body (rules.ValidateControlRequest).
func (e *etcdBackend) AddRequest(ctx context.Context, request contract.ControlRequest) error {
	if err := rules.ValidateControlRequest(request); err != nil {
		return err
	}
	return e.putExpiring(ctx, fmt.Sprintf("request %q", request.ID), e.requestKey(request), request.Body)
}

// Answer implements contract.JobControl.Answer: answer under a lease of ControlRequestTTL (a Grant and a
// Put). It returns an error for an empty id, app id or body (rules.ValidateControlAnswer).
func (e *etcdBackend) Answer(ctx context.Context, id string, answer contract.ControlAnswer) error {
	if err := rules.ValidateControlAnswer(id, answer); err != nil {
		return err
	}
	what := fmt.Sprintf("answer of process %q to request %q", answer.AppID, id)
	return e.putExpiring(ctx, what, e.answerKey(id, answer.AppID), answer.Body)
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

// Answers implements contract.JobControl.Answers in one read, in the order stored (by create revision). It
// returns an error when id is empty, or naming a key that is not an answer's.
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
	kvs := response.Kvs
	slices.SortFunc(kvs, func(a, b *mvccpb.KeyValue) int {
		return cmp.Compare(a.CreateRevision, b.CreateRevision)
	})
	answers := make([]contract.ControlAnswer, 0, len(kvs))
	for _, kv := range kvs {
		rest := strings.Split(strings.TrimPrefix(string(kv.Key), e.answersPrefix(id)), "/") // place/client/app id
		appID, err := url.PathUnescape(rest[len(rest)-1])
		if err != nil || len(rest) != 3 || appID == "" {
			return nil, fmt.Errorf("job control in etcd at %s: key %s is not an answer's: delete it",
				e.endpoints, kv.Key)
		}
		answers = append(answers, contract.ControlAnswer{AppID: appID, Body: kv.Value})
	}
	return answers, nil
}

// encodePause returns the value of a paused key: when it was paused, at, in RFC 3339 (UTC, to the second),
// then, when note is not empty, a line break and note, byte for byte. RFC 3339 has no line break, so the
// first one ends the time whatever the note holds.
func encodePause(at time.Time, note string) string {
	since := at.UTC().Format(time.RFC3339)
	if note == "" {
		return since // as the framework wrote every pause before notes were kept
	}
	return since + "\n" + note
}

// decodePauseNote returns the note of a paused key's value (encodePause): what follows its first line
// break, "" when it has none (a pause without a note, or written before notes were kept). The time before
// it is for operators and not read.
func decodePauseNote(value []byte) string {
	_, note, _ := strings.Cut(string(value), "\n")
	return note
}

// ordersReads are the reads of the orders at now, for the heartbeat's Txn: the paused jobs (keys and
// values, which hold the notes), then the requests made since now-ControlRequestTTL.
func (e *etcdBackend) ordersReads(now time.Time) []clientv3.Op {
	requests := e.requestsPrefix()
	return []clientv3.Op{
		clientv3.OpGet(e.controlPrefix()+"paused/", clientv3.WithPrefix()),
		clientv3.OpGet(requests+encodeMicros(now.Add(-contract.ControlRequestTTL)), clientv3.WithRange(clientv3.GetPrefixRangeEnd(requests))),
	}
}

// parseOrders reads the answers to ordersReads(now): the paused jobs with their notes and the requests
// made after now-ControlRequestTTL, oldest first. A key or value it cannot read is an error naming the key.
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
		request, err := e.parseRequest(kv.Key, kv.Value)
		if err != nil {
			return contract.Orders{}, fmt.Errorf("job control in etcd at %s: key %s is not a control request's "+
				"(%v): delete it", e.endpoints, kv.Key, err)
		}
		if !request.Made.Before(cutoff) {
			orders.Requests = append(orders.Requests, request)
		}
	}
	return orders, nil
}

// parseRequest returns the request stored at key (requestKey) with body value.
func (e *etcdBackend) parseRequest(key, value []byte) (contract.ControlRequest, error) {
	made, escaped, found := strings.Cut(strings.TrimPrefix(string(key), e.requestsPrefix()), "/")
	if !found {
		return contract.ControlRequest{}, errors.New("not <made>/<id>")
	}
	id, err := url.PathUnescape(escaped)
	if err != nil {
		return contract.ControlRequest{}, err
	}
	at, err := decodeMicros(made)
	if err != nil {
		return contract.ControlRequest{}, err
	}
	return contract.ControlRequest{ID: id, Made: at, Body: value}, nil
}

// parsePaused reads the paused jobs from a range read of the paused keys: job -> note (decodePauseNote),
// nil when none is paused.
func (e *etcdBackend) parsePaused(read *pb.ResponseOp) (map[string]string, error) {
	kvs := read.GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return nil, nil
	}
	jobs := make(map[string]string, len(kvs))
	prefix := e.controlPrefix() + "paused/"
	for _, kv := range kvs {
		job, err := url.PathUnescape(strings.TrimPrefix(string(kv.Key), prefix))
		if err != nil {
			return nil, fmt.Errorf("job control in etcd at %s: key %s is not a paused job (%v): delete it", e.endpoints, kv.Key, err)
		}
		jobs[job] = decodePauseNote(kv.Value)
	}
	return jobs, nil
}

var _ contract.JobControl = (*etcdBackend)(nil)
