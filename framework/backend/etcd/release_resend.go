package etcd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// A release of a run lease whose request failed is sent again: a lease nobody releases blocks the
// service's next ticks (OverlapForbid) until it expires, 5 s after its last renewal for the engine's. A
// release fails when the member it went to is killed (its connection is reset), when the cluster has no
// leader (an election: about 1 to 2.5 s after the leader's kill), or when it waited in line behind requests
// stuck in that election; re-sent every etcdReleasePause, it lands once the cluster has a leader. A release
// is a guarded delete (releaseOp): applying it twice, or after another run took the lease, does nothing.
const (
	etcdReleasePause = 75 * time.Millisecond // between a failed release and its re-send
	// etcdReleaseWindow bounds the re-sends of a release: an election with a split vote, and the life of
	// the engine's run lease unrenewed (past it the lease has ended by itself).
	etcdReleaseWindow = 5 * time.Second
)

// sendRelease sends the release of lease through the queue, and again every etcdReleasePause while it
// fails in a way a re-send can fix (releaseResendable), until it is answered, ctx ends, or
// etcdReleaseWindow has passed since the first send. It returns the last error with the sends made, or
// nil once the cluster applied the release (or found nothing to release).
func (e *etcdBackend) sendRelease(ctx context.Context, lease contract.RunLease) error {
	tick, _, _ := e.fenceKeys(lease.Service)
	until := time.Now().Add(etcdReleaseWindow)
	for sends := 1; ; sends++ {
		reply, err := e.queue.Submit(ctx, newReleaseRequest(ctx, lease, tick, e.timeout), "etcd at "+e.endpoints)
		if err != nil { // ctx ended while it waited in line, or the backend is closed
			return err
		}
		if err = cmp.Or(reply.Err, reply.Value.err); err == nil {
			return nil
		}
		if !releaseResendable(reply.Err) || time.Now().Add(etcdReleasePause).After(until) {
			return fmt.Errorf("%w (sends: %d, the last at most %s after the first)", err, sends, etcdReleaseWindow)
		}
		if !clock.Sleep(ctx, etcdReleasePause) {
			return fmt.Errorf("%w (sends: %d; not sent again: %w)", err, sends, ctx.Err())
		}
	}
}

// releaseResendable reports whether a release whose request failed with err (the queue's reply error)
// may land when sent again: a failed or unsent request, not one the cluster refused (authentication,
// permission, a malformed request) nor a closed backend. nil (an answer) is not re-sent.
func releaseResendable(err error) bool {
	return err != nil && etcdRetryable(err) && !errors.Is(err, claimqueue.ErrClosed)
}
