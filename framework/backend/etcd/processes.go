package etcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/contract"
)

// The process registry of the etcd backend (contract.ProcessRegistry): a process's record is the key
// <prefix>process-records/<app id> (path-escaped), its value the record's body, attached to a lease
// of the heartbeat's ttl in whole seconds, rounded up (etcd grants at least its minimum TTL, about 2 s with
// the default election timeout, and restarts a lease's TTL at every leader change, so a dead process's
// record may outlive its ttl a little). The backend keeps one lease per record it heartbeats: a Heartbeat
// is a KeepAliveOnce of that lease (a Lease request) and one Txn (a KV request) that puts the record and
// reads the operators' orders (etcd_control.go); the first time, after a change of ttl or once the lease
// expired, a Grant replaces the KeepAliveOnce. No goroutine keeps leases alive. The keys of the framework's
// previous record format (processes/<app id>) are not read; they expire with their leases.

// etcdLease is the lease of a process record: its id and granted ttl, in seconds.
type etcdLease struct {
	id  clientv3.LeaseID
	ttl int64
}

// processesPrefix is the prefix of the process records' keys.
func (e *etcdBackend) processesPrefix() string { return e.prefix + "process-records/" }

func (e *etcdBackend) processKey(appID string) string {
	return e.processesPrefix() + url.PathEscape(appID)
}

// storeError says which call of which store ("run history", "process registry", "job control") failed
// against which cluster; ctx's error when ctx ended.
func (e *etcdBackend) storeError(ctx context.Context, store, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s in etcd at %s: %s: %w", store, e.endpoints, what, ctx.Err())
	}
	return fmt.Errorf("%s in etcd at %s (%s): %s: %w%s", store, e.endpoints, e.setting, what, err, e.connectionError(err))
}

// request returns ctx bounded by the request timeout and requiring a leader.
func (e *etcdBackend) request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(clientv3.WithRequireLeader(ctx), e.timeout)
}

// Heartbeat implements contract.ProcessRegistry.Heartbeat (see the registry above): a KeepAliveOnce of the
// record's lease (a Grant the first time) and one Txn that puts the record and reads the orders (see the
// job control, etcd_control.go). It returns an error naming the field when record.AppID is empty or ttl
// is under one second.
func (e *etcdBackend) Heartbeat(ctx context.Context, record contract.ProcessRecord, ttl time.Duration) (contract.Orders, error) {
	value, err := heartbeatValue(record, ttl)
	if err != nil {
		return contract.Orders{}, err
	}
	if err := ctx.Err(); err != nil {
		return contract.Orders{}, err
	}
	what := fmt.Sprintf("heartbeat of process %q", record.AppID)
	client, err := e.conn.get()
	if err != nil {
		return contract.Orders{}, e.storeError(ctx, "process registry", what, err)
	}
	e.leasesMu.Lock()
	defer e.leasesMu.Unlock()
	for attempt := 1; ; attempt++ {
		lease, err := e.heartbeatLease(ctx, client, record.AppID, int64((ttl+time.Second-1)/time.Second))
		if err != nil {
			return contract.Orders{}, e.storeError(ctx, "process registry", what, err)
		}
		now := e.now()
		response, err := e.heartbeatTxn(ctx, client, record.AppID, value, lease, now)
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 1 { // expired between the two requests
			delete(e.leases, record.AppID)
			continue
		}
		if err != nil {
			return contract.Orders{}, e.storeError(ctx, "process registry", what, err)
		}
		return e.parseOrders(response.Responses[1:], now)
	}
}

// heartbeatValue returns the value of record's key, its body, or an error naming the field when
// record.AppID is empty or ttl is under one second.
func heartbeatValue(record contract.ProcessRecord, ttl time.Duration) (string, error) {
	if record.AppID == "" {
		return "", errors.New("process record without an app id: Heartbeat needs ProcessRecord.AppID")
	}
	if ttl < time.Second {
		return "", fmt.Errorf("heartbeat ttl %s of process %q: must be at least 1s", ttl, record.AppID)
	}
	return string(record.Body), nil
}

// heartbeatTxn puts appID's record value with lease and reads the orders at now, in one Txn: its answers
// are the put's, then ordersReads'.
func (e *etcdBackend) heartbeatTxn(ctx context.Context, client *clientv3.Client, appID, value string, lease clientv3.LeaseID,
	now time.Time) (*clientv3.TxnResponse, error) {
	ops := append([]clientv3.Op{clientv3.OpPut(e.processKey(appID), value, clientv3.WithLease(lease))}, e.ordersReads(now)...)
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Txn(request).Then(ops...).Commit()
	if err == nil && len(response.Responses) != len(ops) {
		err = fmt.Errorf("unexpected answer of %d results to %d operations", len(response.Responses), len(ops))
	}
	return response, err
}

// heartbeatLease returns appID's lease after refreshing it, or a new lease of ttl seconds when there is
// none, its ttl differs (the old one is revoked) or it expired. Callers hold leasesMu.
func (e *etcdBackend) heartbeatLease(ctx context.Context, client *clientv3.Client, appID string, ttl int64) (clientv3.LeaseID, error) {
	held, ok := e.leases[appID]
	if ok && held.ttl == ttl {
		request, cancel := e.request(ctx)
		_, err := client.KeepAliveOnce(request, held.id)
		cancel()
		if err == nil {
			return held.id, nil
		}
		if !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return 0, fmt.Errorf("refreshing lease %x: %w", held.id, err)
		}
		ok = false
	}
	if ok {
		if err := e.revoke(ctx, client, held.id); err != nil {
			return 0, err
		}
	}
	delete(e.leases, appID)
	request, cancel := e.request(ctx)
	defer cancel()
	granted, err := client.Grant(request, ttl)
	if err != nil {
		return 0, fmt.Errorf("granting a lease of %d s: %w", ttl, err)
	}
	if e.leases == nil {
		e.leases = map[string]etcdLease{}
	}
	e.leases[appID] = etcdLease{id: granted.ID, ttl: ttl}
	return granted.ID, nil
}

// revoke revokes lease id; a lease that expired already is not an error.
func (e *etcdBackend) revoke(ctx context.Context, client *clientv3.Client, id clientv3.LeaseID) error {
	request, cancel := e.request(ctx)
	defer cancel()
	if _, err := client.Revoke(request, id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("revoking lease %x: %w", id, err)
	}
	return nil
}

// Processes implements contract.ProcessRegistry.Processes in one read, ordered by app id (escaped); a key
// whose app id is not escaped as this backend escapes it is an error naming it.
func (e *etcdBackend) Processes(ctx context.Context) ([]contract.ProcessRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, err := e.conn.get()
	if err != nil {
		return nil, e.storeError(ctx, "process registry", "list of processes", err)
	}
	request, cancel := e.request(ctx)
	defer cancel()
	response, err := client.Get(request, e.processesPrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, e.storeError(ctx, "process registry", "list of processes", err)
	}
	records := make([]contract.ProcessRecord, 0, len(response.Kvs))
	for _, kv := range response.Kvs {
		appID, err := url.PathUnescape(strings.TrimPrefix(string(kv.Key), e.processesPrefix()))
		if err != nil {
			return nil, fmt.Errorf("process registry in etcd at %s: key %s is not a process record (%v): delete it", e.endpoints, kv.Key, err)
		}
		records = append(records, contract.ProcessRecord{AppID: appID, Body: kv.Value})
	}
	return records, nil
}

// Deregister implements contract.ProcessRegistry.Deregister: it deletes appID's record and revokes its
// lease when this backend holds it (2 requests, or 1).
func (e *etcdBackend) Deregister(ctx context.Context, appID string) error {
	if appID == "" {
		return errors.New("Deregister needs an app id, got an empty one")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	what := fmt.Sprintf("deregistration of process %q", appID)
	client, err := e.conn.get()
	if err != nil {
		return e.storeError(ctx, "process registry", what, err)
	}
	request, cancel := e.request(ctx)
	defer cancel()
	if _, err := client.Delete(request, e.processKey(appID)); err != nil {
		return e.storeError(ctx, "process registry", what, err)
	}
	e.leasesMu.Lock()
	defer e.leasesMu.Unlock()
	if held, ok := e.leases[appID]; ok {
		delete(e.leases, appID)
		if err := e.revoke(ctx, client, held.id); err != nil {
			return e.storeError(ctx, "process registry", what, err)
		}
	}
	return nil
}

// revokeLeases revokes every lease this backend holds, within one request timeout, for Close.
func (e *etcdBackend) revokeLeases() error {
	e.leasesMu.Lock()
	defer e.leasesMu.Unlock()
	if len(e.leases) == 0 {
		return nil
	}
	client, err := e.conn.get()
	if err != nil {
		return e.storeError(context.Background(), "process registry", "revoking the leases of the process records at close", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	var errs []error
	for appID, held := range e.leases {
		if err := e.revoke(ctx, client, held.id); err != nil {
			errs = append(errs, e.storeError(ctx, "process registry", fmt.Sprintf("closing: the record of process %q expires by itself", appID), err))
		}
	}
	clear(e.leases)
	return errors.Join(errs...)
}

var _ contract.ProcessRegistry = (*etcdBackend)(nil)
