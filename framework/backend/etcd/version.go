package etcd

import (
	"context"
	"fmt"
	"sync"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
)

// minEtcdVersion is the oldest etcd server the backend runs on: the claims are nested transactions
// (etcd 3.3) and the tests run against 3.4.
var minEtcdVersion = rules.Version{Major: 3, Minor: 4}

// checkEtcdVersion returns an error naming endpoint, its version and the minimum when text (the version as
// the Status API gives it) is older than minEtcdVersion or does not parse.
func checkEtcdVersion(endpoint, text string) error {
	parsed, err := rules.ParseVersion("etcd version", text)
	if err != nil {
		return fmt.Errorf("etcd member %s: %w; the minimum is %s", endpoint, err, minEtcdVersion)
	}
	if !parsed.AtLeast(minEtcdVersion) {
		return fmt.Errorf("etcd member %s runs etcd %s; the minimum is %s: upgrade the cluster", endpoint, text, minEtcdVersion)
	}
	return nil
}

// CheckVersion asks every endpoint for its status (at once, each within the dial timeout) and returns an
// error naming etcd, the endpoint, its version and the minimum when a member that answers is older than
// 3.4. Members that do not answer are not checked; an error to reach the client is returned as is.
func (e *etcdBackend) CheckVersion(ctx context.Context) error {
	client, err := e.conn.get()
	if err != nil {
		return fmt.Errorf("etcd at %s (%s) does not answer: %w", e.endpoints, e.setting, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.dial)
	defer cancel()
	endpoints := client.Endpoints()
	errs := make([]error, len(endpoints))
	var wg sync.WaitGroup
	for i, endpoint := range endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, err := client.Status(ctx, endpoint); err == nil {
				errs[i] = checkEtcdVersion(endpoint, status.Version)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("%w (%s)", err, e.setting)
		}
	}
	return nil
}
