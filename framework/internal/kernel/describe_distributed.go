package kernel

import (
	"context"

	"github.com/hadeframe/hade/framework/internal/secret"
)

// DescribeDistributed returns the line `cron state` and `cron list` print about the distributed backend of
// the settings: "distributed provider: " and which one, where and whether it answers
// (contract.Backend.Describe), "not used" when no entry is distributed, or "UNAVAILABLE" and the error of
// making it (DistributedBackend), which it also returns, without a secret. Making the local backend
// creates nothing. ctx carries the container.
func (r *Root) DescribeDistributed(ctx context.Context) (string, error) {
	backend, err := r.DistributedBackend(ctx)
	switch {
	case err != nil:
		err = secret.ScrubError(err, r.Secrets())
		return "distributed provider: UNAVAILABLE: " + err.Error(), err
	case backend == nil:
		return "distributed provider: not used (no distributed entries)", nil
	}
	return "distributed provider: " + backend.Describe(ctx), nil
}
