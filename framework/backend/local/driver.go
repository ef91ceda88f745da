package local

import (
	"context"
	"path/filepath"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/contract"
)

func init() { backend.Register("local", open) }

// open makes the local backend of options: its files in <options.Folder>/distributed.
func open(_ context.Context, options backend.Options) (contract.Backend, error) {
	return New(filepath.Join(options.Folder, "distributed"), options.Retention)
}
