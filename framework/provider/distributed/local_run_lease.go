package distributed

import (
	"context"
	"errors"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// AcquireRun implements contract.RunLeases.AcquireRun.
func (x *Local) AcquireRun(ctx context.Context, lease contract.RunLease, ttl time.Duration) (contract.RunLease, error) {
	return contract.RunLease{}, errors.New("TODO")
}

// RenewRuns implements contract.RunLeases.RenewRuns.
func (x *Local) RenewRuns(ctx context.Context, leases []contract.RunLease, ttl time.Duration) ([]contract.RunLease, error) {
	return nil, errors.New("TODO")
}

// ReleaseRun implements contract.RunLeases.ReleaseRun.
func (x *Local) ReleaseRun(ctx context.Context, lease contract.RunLease) error {
	return errors.New("TODO")
}
