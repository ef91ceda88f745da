package etcdserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// WaitMember waits until member i answers a linearizable read through its own endpoint alone: it runs,
// knows the leader and has caught up with it (a restarted member, before another is stopped). It returns
// the last error when timeout passes first.
func (c *Cluster) WaitMember(i int, timeout time.Duration) error {
	config := clientv3.Config{Endpoints: []string{c.Members[i].ClientURL()}, DialTimeout: 2 * time.Second,
		Logger: zap.NewNop()}
	if c.authOn {
		config.Username, config.Password = "root", c.options.Password
	}
	if c.options.TLS != nil {
		tlsConfig, err := clientTLS(c.options.TLS)
		if err != nil {
			return err
		}
		config.TLS = tlsConfig
	}
	deadline := time.Now().Add(timeout)
	for {
		err := readThrough(config)
		switch {
		case err == nil:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("etcd member %s at %s does not answer within %s: %w", c.Members[i].Name,
				c.Members[i].ClientURL(), timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readThrough makes a client of config and reads a key through it with a leader, within a second; the
// error is the read's, else closing the client's.
func readThrough(config clientv3.Config) error {
	client, err := clientv3.New(config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(context.Background()), time.Second)
	_, err = client.Get(ctx, "ready")
	cancel()
	if closeErr := client.Close(); err == nil && !errors.Is(closeErr, context.Canceled) {
		err = closeErr
	}
	return err
}
