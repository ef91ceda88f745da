package command

import (
	"context"

	"github.com/hadeframe/hade/framework/backend"
	_ "github.com/hadeframe/hade/framework/backend/etcd" // the backends an application would register by import
	_ "github.com/hadeframe/hade/framework/backend/local"
	"github.com/hadeframe/hade/framework/backend/memory"
	_ "github.com/hadeframe/hade/framework/backend/redis"
	"github.com/hadeframe/hade/framework/contract"
)

// memoryBackend is the name of the test-only driver that gives each Open a fresh memory backend, for the
// tests that run commands but do not test the backend: --distributed memory, no flock files.
const memoryBackend = "memory"

func init() {
	backend.Register(memoryBackend, func(_ context.Context, options backend.Options) (contract.Backend, error) {
		return memory.NewStore(nil).Open(options.Retention), nil
	})
}
