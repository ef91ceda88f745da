package etcd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
)

// etcdConnection makes the etcd client on first use and again after a failed attempt. The client
// authenticates when it is made (with a user), which needs the cluster: a process that starts while the
// cluster does not answer makes its client once the cluster answers. Attempts are at least one dial
// timeout apart; calls between them get the last attempt's error at once.
type etcdConnection struct {
	config clientv3.Config
	user   string // for messages

	mu          sync.Mutex
	client      *clientv3.Client
	closed      bool
	lastAttempt time.Time
	lastErr     error
}

// get returns the client, making it when there is none and the last attempt is older than the dial
// timeout. The error says the client could not connect or authenticate within the dial timeout.
func (c *etcdConnection) get() (*clientv3.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.client != nil:
		return c.client, nil
	case c.closed:
		return nil, claimqueue.ErrClosed
	case !c.lastAttempt.IsZero() && time.Since(c.lastAttempt) < c.config.DialTimeout:
		return nil, c.lastErr
	}
	c.lastAttempt = time.Now()
	client, err := clientv3.New(c.config)
	if err != nil {
		c.lastErr = fmt.Errorf("cannot connect or authenticate as %q within the dial timeout %s: %w", c.user, c.config.DialTimeout, err)
		return nil, c.lastErr
	}
	c.client = client
	return client, nil
}

// close closes the client, if made; get fails afterwards.
func (c *etcdConnection) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.client == nil {
		return nil
	}
	if err := c.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
