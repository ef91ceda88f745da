// Package app provides the App service: the process's AppID and its folders.
package app

import "path/filepath"

// Service implements contract.App for one process.
type Service struct {
	appID      string
	baseFolder string
}

// AppID returns the process's random UUID.
func (s *Service) AppID() string { return s.appID }

// BaseFolder returns the absolute base folder.
func (s *Service) BaseFolder() string { return s.baseFolder }

// StorageFolder returns BaseFolder()/storage.
func (s *Service) StorageFolder() string { return filepath.Join(s.baseFolder, "storage") }

// RuntimeFolder returns BaseFolder()/storage/runtime.
func (s *Service) RuntimeFolder() string { return filepath.Join(s.StorageFolder(), "runtime") }

// LogFolder returns BaseFolder()/storage/log.
func (s *Service) LogFolder() string { return filepath.Join(s.StorageFolder(), "log") }
