package memory

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/hadeframe/hade/framework/backend"
)

// errClosed is returned (wrapped) by every call of a client after its Close.
var errClosed = errors.New("memory backend: the client is closed")

// client is one process's view of a Store: a contract.Backend.
type client struct {
	store     *Store
	retention backend.Retention // defaults applied
	closed    atomic.Bool
}

// begin returns an error when c is closed (wrapping errClosed) or ctx has ended (wrapping ctx's error),
// naming what, the call made; nil when the call may go on.
func (c *client) begin(ctx context.Context, what string) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %w", what, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: memory backend: %w", what, err)
	}
	return nil
}

// Describe implements contract.Backend.Describe: where the state is and whether this client is open.
func (c *client) Describe(context.Context) string {
	if c.closed.Load() {
		return "memory: state in this process, shared by the clients of one Store (this client is closed)"
	}
	return "memory: state in this process, shared by the clients of one Store (answering)"
}

// Close implements contract.Backend.Close: every later call of c fails with an error, Close included;
// the Store and its other clients are not affected.
func (c *client) Close() error {
	if c.closed.Swap(true) {
		return errClosed
	}
	return nil
}
