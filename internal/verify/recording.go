package verify

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/console"
	"github.com/hadeframe/hade/framework/contract"
)

// recordingProvider opens the backend of the root's settings and wraps it so that every claim is recorded.
// The test app binds it in place of the root's provider, before the first Make.
type recordingProvider struct {
	root     *console.Root
	recorder *recorder
	proc     string
	offset   time.Duration // the node's clock offset, recorded with each claim
}

func (p recordingProvider) Name() string { return contract.BackendKey }

func (p recordingProvider) New(*framework.Container) (any, error) {
	backend, err := p.root.OpenBackend(context.Background())
	if err != nil {
		return nil, err
	}
	return &recordingBackend{Backend: backend, recorder: p.recorder, proc: p.proc, offset: p.offset}, nil
}

// recordingBackend records an invoke record before each claim and a return record after it; the rest of
// the backend (run leases, history, registry, job control) is not recorded.
type recordingBackend struct {
	contract.Backend
	recorder *recorder
	proc     string
	offset   time.Duration
	ops      atomic.Int64
}

func (d *recordingBackend) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	op := d.ops.Add(1)
	record := Record{Kind: kindInvoke, Proc: d.proc, Op: op, Service: c.Service, Tick: c.Tick.UnixNano(),
		App: c.AppID, Hold: c.HoldTime.Nanoseconds(), Offset: d.offset.Nanoseconds()}
	record.Mono, record.Wall = stamp()
	d.recorder.write(record)
	claimed, err := d.Backend.ClaimTick(ctx, c)
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
