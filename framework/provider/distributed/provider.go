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
	History     Retention  // what the backend's run history keeps; zero fields: DefaultRetention's
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
// is unknown, when the Redis URL or an etcd endpoint is malformed, when Redis does not answer PING within
// the dial timeout (unknown host, refused connection, wrong password), or when etcd refuses the user, the
// password or a read, or does not answer a read within the dial timeout (unless EtcdConfig.WaitForCluster is set: see newCheckedEtcd).
func (p Provider) New(resolver framework.Resolver) (any, error) {
	config := p.Config()
	retention, err := config.History.withDefaults()
	if err != nil {
		return nil, err
	}
	switch config.Backend {
	case BackendLocal:
		app, err := framework.MakeAs[contract.App](resolver, contract.AppKey)
		if err != nil {
			return nil, err
		}
		backend, err := NewLocal(filepath.Join(app.RuntimeFolder(), "distributed"))
		if err != nil {
			return nil, err
		}
		backend.retention = retention
		return backend, nil
	case BackendRedis:
		backend, err := NewRedis(config.RedisURL, config.RedisPrefix, p.Names.RedisURL)
		if err != nil {
			return nil, err
		}
		backend.retention = retention
		if err := backend.Ping(context.Background()); err != nil {
			return nil, errors.Join(err, backend.Close())
		}
		return backend, nil
	case BackendEtcd:
		config.Etcd.Setting = p.Names.Etcd.Endpoints
		backend, err := newCheckedEtcd(config.Etcd)
		if err != nil {
			return nil, err
		}
		backend.retention = retention
		return backend, nil
	default:
		return nil, fmt.Errorf("distributed provider %q (%s) is unknown: valid values are %q, %q and %q",
			config.Backend, p.Names.Backend, BackendLocal, BackendRedis, BackendEtcd)
	}
}

// newCheckedEtcd makes the etcd backend of config and checks that the cluster answers a read and that its
// members run etcd 3.4 or later. When the cluster does not answer and config.WaitForCluster is set, it
// logs once that claims fail (fail closed) until it does, and returns the backend, whose claims resume
// once the cluster answers (its version is then not checked); errors that waiting cannot fix are
// returned either way.
func newCheckedEtcd(config EtcdConfig) (*Etcd, error) {
	backend, err := NewEtcd(config)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := backend.Ping(ctx); err != nil {
		if config.WaitForCluster && etcdRetryable(err) {
			backend.noteOutcome(err)
			return backend, nil
		}
		return nil, errors.Join(err, backend.Close())
	}
	if err := backend.CheckVersion(ctx); err != nil {
		return nil, errors.Join(err, backend.Close())
	}
	return backend, nil
}
