package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// maxSocketPath is the longest unix socket path (sun_path, less its NUL byte).
const maxSocketPath = 107

// launch starts the postmaster on the data folder and s.port, listening on Host and on a unix socket in
// the cluster's folder (none when that path would be too long for a socket; the package does not use
// it), its output appended to the log.
func (s *Server) launch() error {
	s.launched = s.logSize()
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the postmaster has its own descriptor
	if err := s.own(s.logPath()); err != nil {
		return err
	}
	socketDir := s.folder
	if len(filepath.Join(socketDir, ".s.PGSQL."+strconv.Itoa(s.port))) > maxSocketPath {
		socketDir = ""
	}
	args := []string{"-D", s.dataDir(), "-p", strconv.Itoa(s.port), "-c", "listen_addresses=" + Host,
		"-c", "unix_socket_directories=" + socketDir}
	cmd := s.command(s.bin.postgres, args)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() {
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	return nil
}

// waitReady waits until the server accepts connections (see probe), at most timeout. It returns why
// not, with the log's tail, when the postmaster exits or timeout passes first.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if !s.Running() {
			return fmt.Errorf("postgres exited: %v\n%s", s.waitErr, s.logTail(30))
		}
		err := probe(s.port)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres on port %d does not accept connections within %s: %v\n%s", s.port,
				timeout, err, s.logTail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLog waits until the log, from byte offset on, holds text, at most timeout. It returns why not, with
// the log's tail, when the postmaster exits or timeout passes first.
func (s *Server) waitLog(offset int64, text string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if log := s.Log(); int64(len(log)) > offset && strings.Contains(log[offset:], text) {
			return nil
		}
		if !s.Running() {
			return fmt.Errorf("postgres exited before logging %q: %v\n%s", text, s.waitErr, s.logTail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres on port %d did not log %q within %s\n%s", s.port, text, timeout,
				s.logTail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logSize returns the log's length in bytes, where what is logged next starts.
func (s *Server) logSize() int64 {
	info, err := os.Stat(s.logPath())
	if err != nil {
		return 0
	}
	return info.Size()
}

// logTail returns the log's last lines.
func (s *Server) logTail(lines int) string {
	all := strings.Split(strings.TrimRight(s.Log(), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
