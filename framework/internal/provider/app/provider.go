package app

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/hadeframe/hade/framework"
	"github.com/hadeframe/hade/framework/contract"
)

// Provider builds the App service. BaseFolder is called when the service is first made, after the command
// line is parsed, and names the setting the folder came from in errors (Setting).
type Provider struct {
	// BaseFolder returns the base folder, absolute or relative to the working directory.
	BaseFolder func() string
	// Setting names where the folder is configured, for error messages, e.g. "--base-folder".
	Setting string
}

// Name returns contract.AppKey.
func (p Provider) Name() string { return contract.AppKey }

// New returns a *service with a fresh random AppID. It returns an error when the base folder does not
// exist or is not a directory, or when no random UUID can be made.
func (p Provider) New(*framework.Container) (any, error) {
	folder, err := filepath.Abs(p.BaseFolder())
	if err != nil {
		return nil, fmt.Errorf("base folder %q (%s): %w", p.BaseFolder(), p.Setting, err)
	}
	info, err := os.Stat(folder)
	if err != nil {
		return nil, fmt.Errorf("base folder %q (%s) must be an existing directory: %w", folder, p.Setting, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("base folder %q (%s) is not a directory", folder, p.Setting)
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return nil, fmt.Errorf("make app id: %w", err)
	}
	return &service{appID: id.String(), baseFolder: folder}, nil
}
