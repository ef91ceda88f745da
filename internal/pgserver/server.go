// Package pgserver runs real PostgreSQL clusters for the project's tests: initdb in a throwaway folder,
// then postgres on a free loopback port, with the faults the tests inject (kill -9, SIGSTOP of every
// process, restart with crash recovery) and streaming standbys to fail over to. It needs PostgreSQL 12 or
// newer (initdb, pg_ctl, postgres, pg_basebackup).
//
// As root (CI), PostgreSQL's programs run as the user postgres, since PostgreSQL refuses root.
//
// Every cluster runs with fsync=off: a SIGKILL of its processes loses nothing a committed transaction
// wrote (the OS's page cache keeps it), so Kill and Restart test crash recovery faithfully; only a crash
// of the OS itself, which no test does, would lose data.
package pgserver

import (
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

const (
	// User is the superuser of every cluster; over TCP it logs in with its password (SCRAM-SHA-256).
	User = "hade"
	// Database is the database made in every cluster (besides PostgreSQL's postgres and templates), the
	// one URL names.
	Database = "hade"
	// DefaultPassword is User's password when Options.Password is empty.
	DefaultPassword = "hade-test-password"
	// Host is the address every cluster listens on (TCP only; its unix socket is in its folder).
	Host = "127.0.0.1"
)

// ErrNotInstalled is returned by Start when PostgreSQL's programs are neither on the PATH nor in
// /usr/lib/postgresql/<version>/bin.
var ErrNotInstalled = errors.New("PostgreSQL (initdb, pg_ctl, postgres, pg_basebackup) is neither on the " +
	"PATH nor in " + debianBinGlob)

// Options configure a cluster.
type Options struct {
	// Password is User's password; empty: DefaultPassword.
	Password string
	// TLS makes a CA and a server certificate for 127.0.0.1 it signs and turns ssl on: URL then asks for
	// sslmode=verify-full with the CA (CAFile). Connections without TLS are still accepted.
	TLS bool
	// Settings are more postgresql.conf settings (name: value, e.g. "max_connections": "50"); they come
	// after the package's own, so they win, except over port, listen_addresses and
	// unix_socket_directories, which the command line sets.
	Settings map[string]string
}

// Server is a PostgreSQL cluster: its folder (data, log, unix socket) and, while it runs, its postmaster
// and the processes it forks. Stop it when done. Its methods are not safe for concurrent use.
type Server struct {
	options  Options
	bin      binaries
	owner    *syscall.Credential // nil: the caller runs PostgreSQL
	folder   string              // data/, postgres.log, the unix socket; removed by Stop
	port     int
	caFile   string    // with TLS: the CA's certificate (PEM)
	appName  string    // a standby's application_name; "" for a cluster made by Start
	standbys int       // standbys made from this server, to name the next
	sync     []string  // the names of its synchronous standbys
	launched int64     // the log's length when the postmaster was last started
	cmd      *exec.Cmd // the postmaster; nil before the first start
	exited   chan struct{}
	waitErr  error
}

// URL returns the server's postgres:// URL for User, with the password, on Database: with
// sslmode=disable, or with TLS sslmode=verify-full and sslrootcert=CAFile().
func (s *Server) URL() string { return s.url(url.UserPassword(User, s.options.Password)) }

// URLWithoutPassword is URL without the password, for a client given it otherwise.
func (s *Server) URLWithoutPassword() string { return s.url(url.User(User)) }

func (s *Server) url(user *url.Userinfo) string {
	query := url.Values{"sslmode": {"disable"}}
	if s.options.TLS {
		query = url.Values{"sslmode": {"verify-full"}, "sslrootcert": {s.caFile}}
	}
	address := url.URL{Scheme: "postgres", User: user, Host: net.JoinHostPort(Host, strconv.Itoa(s.port)),
		Path: "/" + Database, RawQuery: query.Encode()}
	return address.String()
}

// Host returns the address the server listens on, Host.
func (s *Server) Host() string { return Host }

// Port returns the server's TCP port; it keeps it across Kill and Restart.
func (s *Server) Port() int { return s.port }

// Password returns User's password.
func (s *Server) Password() string { return s.options.Password }

// CAFile returns the path of the CA's certificate (PEM) that signed the server's, "" without TLS.
func (s *Server) CAFile() string { return s.caFile }

// ApplicationName returns a standby's application_name (see StartStandby), "" for a cluster made by
// Start; a promoted standby keeps its name.
func (s *Server) ApplicationName() string { return s.appName }

// Log returns the server's log (its postmaster's output, every start appended), for failures; "" once
// Stop removed it.
func (s *Server) Log() string {
	data, _ := os.ReadFile(s.logPath())
	return string(data)
}

// Running reports whether the server's postmaster runs (it may be paused).
func (s *Server) Running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func (s *Server) dataDir() string { return filepath.Join(s.folder, "data") }
func (s *Server) logPath() string { return filepath.Join(s.folder, "postgres.log") }

// Pid returns the pid of the server's postmaster (the parent of every other process of the server), 0
// when it does not run.
func (s *Server) Pid() int {
	if !s.Running() {
		return 0
	}
	return s.cmd.Process.Pid
}
