// Package app provides the App service: the process's AppID and its folders.
package app

import "path/filepath"

// service implements contract.App for one process.
type service struct {
	appID      string
	baseFolder string
}

// AppID returns the process's random UUID.
func (s *service) AppID() string { return s.appID }

// BaseFolder returns the absolute base folder.
func (s *service) BaseFolder() string { return s.baseFolder }

// StorageFolder returns BaseFolder()/storage.
func (s *service) StorageFolder() string { return filepath.Join(s.baseFolder, "storage") }

// RuntimeFolder returns BaseFolder()/storage/runtime.
func (s *service) RuntimeFolder() string { return filepath.Join(s.StorageFolder(), "runtime") }

// LogFolder returns BaseFolder()/storage/log.
func (s *service) LogFolder() string { return filepath.Join(s.StorageFolder(), "log") }
