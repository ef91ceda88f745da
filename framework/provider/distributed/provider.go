package distributed

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
)

// Backend names.
const (
	BackendLocal = "local" // flock on files in storage/runtime/distributed: one host
	BackendRedis = "redis" // one Redis shared by any number of hosts
	BackendEtcd  = "etcd"  // one etcd cluster shared by any number of hosts
)

// Config chooses and configures the backend.
type Config struct {
	Backend     string     // BackendLocal, BackendRedis or BackendEtcd
	RedisURL    string     // for BackendRedis, see NewRedis
	RedisPrefix string     // for BackendRedis: the prefix of every key
	Etcd        EtcdConfig // for BackendEtcd, see NewEtcd
}

// Describer is implemented by the backends: a one-line account of where the backend is and whether it
// answers, for `cron state` and `cron list`.
type Describer interface {
	Describe(ctx context.Context) string
}

// Provider builds the Distributed service for the backend Config names, so the backend is chosen without
// code changes (the hade root binds it to --distributed, --redis-url, --redis-prefix, the --etcd-* flags
// and their HADE_* environment variables).
type Provider struct {
	// Config returns the configuration; it is called when the service is first made.
	Config func() Config
	// Names says where each setting is configured, for error messages.
	Names Config
}

// Name returns contract.DistributedKey.
func (p Provider) Name() string { return contract.DistributedKey }

// New builds the configured backend. It returns an error naming the setting to fix when the backend name
// is unknown, when the Redis URL or an etcd endpoint is malformed, or when Redis does not answer PING or
// etcd a read within the dial timeout (unknown host, refused connection, wrong password, no quorum).
func (p Provider) New(resolver framework.Resolver) (any, error) {
	config := p.Config()
	switch config.Backend {
	case BackendLocal:
		app, err := framework.MakeAs[contract.App](resolver, contract.AppKey)
		if err != nil {
			return nil, err
		}
		return NewLocal(filepath.Join(app.RuntimeFolder(), "distributed"))
	case BackendRedis:
		backend, err := NewRedis(config.RedisURL, config.RedisPrefix, p.Names.RedisURL)
		if err != nil {
			return nil, err
		}
		if err := backend.Ping(context.Background()); err != nil {
			return nil, errors.Join(err, backend.Close())
		}
		return backend, nil
	case BackendEtcd:
		config.Etcd.Setting = p.Names.Etcd.Endpoints
		backend, err := NewEtcd(config.Etcd)
		if err != nil {
			return nil, err
		}
		if err := backend.Ping(context.Background()); err != nil {
			return nil, errors.Join(err, backend.Close())
		}
		return backend, nil
	default:
		return nil, fmt.Errorf("distributed provider %q (%s) is unknown: valid values are %q, %q and %q",
			config.Backend, p.Names.Backend, BackendLocal, BackendRedis, BackendEtcd)
	}
}
