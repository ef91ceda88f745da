package distributed

import (
	"fmt"
	"path/filepath"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
)

// BackendLocal is the name of the default backend: flock on files in storage/runtime/distributed.
const BackendLocal = "local"

// Provider builds the Distributed service for the backend named by Backend, so the backend is chosen
// without code changes (the hade root binds it to the --distributed flag and HADE_DISTRIBUTED).
type Provider struct {
	// Backend returns the backend name; it is called when the service is first made.
	Backend func() string
	// Setting names where the backend is configured, for error messages.
	Setting string
}

// Name returns contract.DistributedKey.
func (p Provider) Name() string { return contract.DistributedKey }

// New builds the named backend. It returns an error naming the setting and the valid values when the
// name is unknown, and the backend's own error when it cannot be set up.
func (p Provider) New(resolver framework.Resolver) (any, error) {
	switch name := p.Backend(); name {
	case BackendLocal:
		app, err := framework.MakeAs[contract.App](resolver, contract.AppKey)
		if err != nil {
			return nil, err
		}
		return NewLocal(filepath.Join(app.RuntimeFolder(), "distributed"))
	default:
		return nil, fmt.Errorf("distributed provider %q (%s) is unknown: valid values are %q", name, p.Setting, BackendLocal)
	}
}
