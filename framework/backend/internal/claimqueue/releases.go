package claimqueue

import (
	"context"
	"sync"
)

// Releases remembers the last run lease release each service queued without waiting for its reply (the
// Redis and PostgreSQL backends' ReleaseRun), so that a later request about the service (AcquireRun) is
// decided after it. The zero value is ready; it is safe for concurrent use.
type Releases[T, R any] struct {
	mu   sync.Mutex
	last map[string]*Request[T, R] // by service
}

// Enqueue queues release on queue (see Queue.Enqueue) and remembers it as its service's last; it returns
// ErrClosed when the queue is closed.
func (r *Releases[T, R]) Enqueue(queue *Queue[T, R], release *Request[T, R]) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := queue.Enqueue(release); err != nil {
		return err
	}
	if r.last == nil {
		r.last = map[string]*Request[T, R]{}
	}
	r.last[release.service] = release
	return nil
}

// Await waits until the last release of service queued by Enqueue, if any, was answered (applied, or
// failed past its re-sends), and forgets it. It returns ctx's error when ctx ends first.
func (r *Releases[T, R]) Await(ctx context.Context, service string) error {
	r.mu.Lock()
	release, queued := r.last[service]
	delete(r.last, service)
	r.mu.Unlock()
	if !queued {
		return nil
	}
	select {
	case <-release.Replied():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
