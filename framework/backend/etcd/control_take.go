package etcd

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// takenKey is the key naming the app that took request id (TakeRequest), under a lease of
// ControlRequestTTL.
func (e *etcdBackend) takenKey(id string) string { return e.controlPrefix() + "taken/" + id }

// TakeRequest implements contract.JobControl.TakeRequest: a lease Grant, then one Txn that creates the
// request's taken key only if it does not exist yet (the first caller wins). A lease granted for a lost
// take expires by itself.
func (e *etcdBackend) TakeRequest(ctx context.Context, id, appID string) (bool, error) {
	if id == "" || appID == "" {
		return false, fmt.Errorf("take request %q for app %q: the request id and the app id are required", id, appID)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	what := fmt.Sprintf("take request %q", id)
	client, err := e.conn.get()
	if err != nil {
		return false, e.storeError(ctx, "job control", what, err)
	}
	request, cancel := e.request(ctx)
	granted, err := client.Grant(request, etcdControlTTL)
	cancel()
	if err != nil {
		return false, e.storeError(ctx, "job control", what, fmt.Errorf("granting a lease of %d s: %w", etcdControlTTL, err))
	}
	key := e.takenKey(id)
	request, cancel = e.request(ctx)
	defer cancel()
	response, err := client.Txn(request).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, appID, clientv3.WithLease(granted.ID))).Commit()
	if err != nil {
		return false, e.storeError(ctx, "job control", what, err)
	}
	return response.Succeeded, nil
}

// Paused implements contract.JobControl.Paused with one read of the paused jobs' keys and values (the
// first of the heartbeat's reads of the orders): job -> note, nil when none is paused.
func (e *etcdBackend) Paused(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, err := e.conn.get()
	if err != nil {
		return nil, e.storeError(ctx, "job control", "read the paused jobs", err)
	}
	request, cancel := e.request(ctx)
	defer cancel()
	now := time.Now()
	response, err := client.Txn(request).Then(e.ordersReads(now)[0]).Commit()
	if err != nil {
		return nil, e.storeError(ctx, "job control", "read the paused jobs", err)
	}
	return e.parsePaused(response.Responses[0])
}
