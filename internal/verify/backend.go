package verify

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// backend is one distributed backend under test: it starts and stops the shared service, gives the
// nodes their flags, and injects the faults of its own kinds. A new backend (etcd) is one more
// implementation and one more case in newBackend.
type backend interface {
	// start starts the backend with its files under dir.
	start(dir string) error
	// stop stops it; it is called once, after the nodes stopped, even after a failed start.
	stop()
	// endpoints are the backend's addresses (host:port) the nodes reach, each through a proxy of its own.
	endpoints() []string
	// nodeFlags are the hade flags of a node whose base folder is base and which dials via, the
	// addresses of its proxies, one per endpoint in order.
	nodeFlags(base string, via []string) []string
	// sharedBase reports whether all nodes use one base folder (the local backend's files).
	sharedBase() bool
	// claimerClock reports whether the backend checks a claim's window by the claiming node's clock
	// (local, etcd) rather than its own (Redis's TIME, PostgreSQL's clock_timestamp()).
	claimerClock() bool
	// faultKinds are the kinds of backend faults inject knows.
	faultKinds() []string
	// inject performs one fault of kind, with durations drawn from rng in units of hold, and returns
	// when the backend is back; f is completed with the target and detail.
	inject(kind string, rng *rand.Rand, hold time.Duration, f *Record) error
}

// movingBackend is a backend whose endpoints can move to another address during a run (a PostgreSQL
// failover starts a new standby on a port of its own): before the nodes start, the run gives it move,
// which points every node's proxy of endpoint index at target.
type movingBackend interface {
	setMove(move func(index int, target string))
}

// Backend names.
const (
	backendLocal    = "local"
	backendRedis    = "redis"
	backendEtcd     = "etcd"
	backendPostgres = "postgres"
)

// backendNames lists the backends, for messages.
var backendNames = []string{backendLocal, backendRedis, backendEtcd, backendPostgres}

func newBackend(name string) (backend, error) {
	switch name {
	case backendLocal:
		return &localBackend{}, nil
	case backendRedis:
		return &redisBackend{}, nil
	case backendEtcd:
		return &etcdBackend{}, nil
	case backendPostgres:
		return &postgresBackend{}, nil
	}
	return nil, fmt.Errorf("--backend %q is unknown: valid values are %q", name, backendNames)
}

// localBackend is flock on files in the one base folder all nodes share; it has no fault of its own.
type localBackend struct{}

func (*localBackend) start(string) error  { return nil }
func (*localBackend) stop()               {}
func (*localBackend) endpoints() []string { return nil }
func (*localBackend) nodeFlags(base string, _ []string) []string {
	return []string{"--base-folder", base, "--distributed", "local"}
}
func (*localBackend) sharedBase() bool     { return true }
func (*localBackend) claimerClock() bool   { return true }
func (*localBackend) faultKinds() []string { return nil }
func (*localBackend) inject(kind string, _ *rand.Rand, _ time.Duration, _ *Record) error {
	return fmt.Errorf("the local backend has no fault %q", kind)
}

// mkdir creates dir (and parents) for the tool's files.
func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Clean(dir), err)
	}
	return nil
}
