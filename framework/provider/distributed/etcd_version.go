package distributed

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// minEtcdVersion is the oldest etcd server the backend runs on: the claims are nested transactions
// (etcd 3.3) and the tests run against 3.4.
var minEtcdVersion = etcdVersion{major: 3, minor: 4}

// etcdVersion is an etcd server's major.minor version.
type etcdVersion struct{ major, minor int }

func (v etcdVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v etcdVersion) atLeast(other etcdVersion) bool {
	return v.major > other.major || (v.major == other.major && v.minor >= other.minor)
}

// parseEtcdVersion parses "major.minor[.patch…]", e.g. "3.4.23".
func parseEtcdVersion(text string) (etcdVersion, error) {
	parts := strings.SplitN(text, ".", 3)
	if len(parts) < 2 {
		return etcdVersion{}, fmt.Errorf("etcd version %q is not major.minor[.patch]", text)
	}
	major, majorErr := strconv.Atoi(parts[0])
	minor, minorErr := strconv.Atoi(parts[1])
	if majorErr != nil || minorErr != nil || major < 0 || minor < 0 {
		return etcdVersion{}, fmt.Errorf("etcd version %q is not major.minor[.patch]", text)
	}
	return etcdVersion{major: major, minor: minor}, nil
}

// checkEtcdVersion returns an error naming endpoint, its version and the minimum when version (as the
// Status API gives it) is older than minEtcdVersion or does not parse.
func checkEtcdVersion(endpoint, version string) error {
	parsed, err := parseEtcdVersion(version)
	if err != nil {
		return fmt.Errorf("etcd member %s: %w; the minimum is %s", endpoint, err, minEtcdVersion)
	}
	if !parsed.atLeast(minEtcdVersion) {
		return fmt.Errorf("etcd member %s runs etcd %s; the minimum is %s: upgrade the cluster", endpoint, version, minEtcdVersion)
	}
	return nil
}

// CheckVersion asks every endpoint for its status (at once, each within the dial timeout) and returns an
// error naming etcd, the endpoint, its version and the minimum when a member that answers is older than
// 3.4. Members that do not answer are not checked; an error to reach the client is returned as is.
func (e *Etcd) CheckVersion(ctx context.Context) error {
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
