package pgserver

import (
	"fmt"
	"net"
	"os"
	"time"
)

// readyTimeout bounds a start's wait until the server accepts connections, crash recovery included: long,
// for a loaded machine.
const readyTimeout = 60 * time.Second

// Start makes a cluster in a new folder under dir (as root: under os.TempDir(), which the user postgres
// can enter, unlike t.TempDir()'s root-only folders) with initdb: superuser User with options.Password,
// SCRAM-SHA-256 over TCP, and Database. It starts it on a free port of Host and waits until it accepts
// connections, at most a minute. It returns ErrNotInstalled without PostgreSQL's programs, or why the
// cluster did not come up (its log's tail included); the folder is then removed.
func Start(dir string, options Options) (*Server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	if options.Password == "" {
		options.Password = DefaultPassword
	}
	s, err := newServer(dir, options, bin)
	if err != nil {
		return nil, err
	}
	if err := s.initCluster(); err != nil {
		s.Stop()
		return nil, err
	}
	if err := s.startOnFreePort(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// newServer returns a server with its own new folder (mode 0700, given to the cluster's owner) under
// dir, or under os.TempDir() when PostgreSQL runs as the user postgres.
func newServer(dir string, options Options, bin binaries) (*Server, error) {
	owner, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	parent, pattern := dir, "pg-"
	if owner != nil {
		parent, pattern = os.TempDir(), "hade-pg-"
	}
	folder, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return nil, err
	}
	s := &Server{options: options, bin: bin, owner: owner, folder: folder}
	if err := s.own(folder); err != nil {
		_ = os.RemoveAll(folder)
		return nil, fmt.Errorf("give %s to %s: %w", folder, ownerName, err)
	}
	return s, nil
}

// startOnFreePort starts the server on a free port and waits until it accepts connections; it tries
// three ports, since another process may take a free port before the server binds it.
func (s *Server) startOnFreePort() error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.port, lastErr = freePort(); lastErr != nil {
			continue
		}
		if lastErr = s.launch(); lastErr != nil {
			continue
		}
		if lastErr = s.waitReady(readyTimeout); lastErr == nil {
			return nil
		}
		s.Kill()
	}
	return fmt.Errorf("start postgres: %w", lastErr)
}

// freePort returns a TCP port of Host that nothing listened on a moment ago.
func freePort() (int, error) {
	listener, err := net.Listen("tcp", Host+":0")
	if err != nil {
		return 0, err
	}
	port := listener.Addr().(*net.TCPAddr).Port
	return port, listener.Close()
}
