package verify

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/provider/distributed"
)

// recordingProvider builds the configured Distributed service with inner and wraps it so that every
// claim is recorded. The test app binds it in place of the root's provider, before the first Make.
type recordingProvider struct {
	inner    distributed.Provider
	recorder *recorder
	proc     string
	offset   time.Duration // the node's clock offset, recorded with each claim
}

func (p recordingProvider) Name() string { return contract.DistributedKey }

func (p recordingProvider) New(resolver framework.Resolver) (any, error) {
	service, err := p.inner.New(resolver)
	if err != nil {
		return nil, err
	}
	backend, ok := service.(contract.Distributed)
	if !ok {
		return nil, errors.New("the distributed provider built no contract.Distributed")
	}
	return &recordingDistributed{inner: backend, recorder: p.recorder, proc: p.proc, offset: p.offset}, nil
}

// recordingDistributed records an invoke record before each claim and a return record after it.
type recordingDistributed struct {
	inner    contract.Distributed
	recorder *recorder
	proc     string
	offset   time.Duration
	ops      atomic.Int64
}

func (d *recordingDistributed) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	op := d.ops.Add(1)
	record := Record{Kind: kindInvoke, Proc: d.proc, Op: op, Service: c.Service, Tick: c.Tick.UnixNano(),
		App: c.AppID, Hold: c.HoldTime.Nanoseconds(), Offset: d.offset.Nanoseconds()}
	record.Mono, record.Wall = stamp()
	d.recorder.write(record)
	claimed, err := d.inner.ClaimTick(ctx, c)
	record.Kind, record.Selected, record.Result = kindReturn, claimed.Holder, claimResult(c.AppID, claimed.Holder, err)
	record.Busy = claimed.Busy.Holder
	record.Mono, record.Wall = stamp()
	if err != nil {
		record.Error = err.Error()
	}
	d.recorder.write(record)
	return claimed, err
}

// claimResult classifies a claim's answer.
func claimResult(app, selected string, err error) string {
	switch {
	case errors.Is(err, contract.ErrTickClosed):
		return resultClosed
	case errors.Is(err, contract.ErrDefinitionConflict):
		return resultConflict
	case err != nil:
		return resultError
	case selected == app:
		return resultWon
	}
	return resultHeld
}

func (d *recordingDistributed) Select(ctx context.Context, service, app string, hold time.Duration) (string, error) {
	return d.inner.Select(ctx, service, app, hold)
}

// Describe and Close forward to the backend, which the cron commands use when it has them.
func (d *recordingDistributed) Describe(ctx context.Context) string {
	if describer, ok := d.inner.(distributed.Describer); ok {
		return describer.Describe(ctx)
	}
	return "recorded backend"
}

func (d *recordingDistributed) Close() error {
	if closer, ok := d.inner.(io.Closer); ok {
		return closer.Close()
	}
	return nil
}

// AcquireRun, RenewRuns and ReleaseRun forward to the backend (run leases are not recorded).
func (d *recordingDistributed) AcquireRun(ctx context.Context, lease contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	return d.inner.AcquireRun(ctx, lease, ttl)
}

func (d *recordingDistributed) RenewRuns(ctx context.Context, leases []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	return d.inner.RenewRuns(ctx, leases, ttl)
}

func (d *recordingDistributed) ReleaseRun(ctx context.Context, lease contract.RunLease) error {
	return d.inner.ReleaseRun(ctx, lease)
}
