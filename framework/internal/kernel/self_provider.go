package kernel

import (
	"errors"

	"github.com/hadeframe/hade/framework"
)

// Key is the container key a Root is bound to in its own container.
const Key = "hade:kernel"

// selfProvider makes the Root it belongs to: the framework's commands find the Root through the container
// of the console.Root they are added to.
type selfProvider struct{ root *Root }

// Name returns Key.
func (p selfProvider) Name() string { return Key }

// New returns the Root.
func (p selfProvider) New(*framework.Container) (any, error) { return p.root, nil }

// Of returns the Root bound in container (see console.NewRoot). It returns an error when container holds
// none: it is not the container of a root made by console.NewRoot.
func Of(container *framework.Container) (*Root, error) {
	if container == nil {
		return nil, errors.New("no container: the root was not made by console.NewRoot")
	}
	return framework.MakeAs[*Root](container, Key)
}
