// Package redisserver runs a real redis-server on a free loopback port, without persistence, for the
// project's tests and load tool.
package redisserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotInstalled is returned by Start when redis-server is not on the PATH.
var ErrNotInstalled = errors.New("redis-server is not on the PATH")

// Server is a running redis-server; Stop it when done.
type Server struct {
	Port     int
	Password string

	binary  string
	extra   []string // options this server version needs
	persist bool     // appendonly yes, appendfsync always (StartPersistent)
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Start starts redis-server with its files in dir, requiring password when it is not empty, and waits
// until it answers. It returns ErrNotInstalled without redis-server, or why it did not come up.
func Start(dir, password string) (*Server, error) {
	binary, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	s := &Server{Password: password, binary: binary, dir: dir}
	if s.extra, err = versionOptions(binary); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken before redis binds it
		if s.Port, lastErr = freePort(); lastErr != nil {
			continue
		}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("start redis-server: %w", lastErr)
}

// StartPersistent is Start with an append-only file synced at every write (appendonly yes, appendfsync
// always) in dir: a restart, even after Kill, keeps every acknowledged write.
func StartPersistent(dir, password string) (*Server, error) {
	binary, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	s := &Server{Password: password, binary: binary, dir: dir, persist: true}
	if s.extra, err = versionOptions(binary); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.Port, lastErr = freePort(); lastErr != nil {
			continue
		}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("start redis-server: %w", lastErr)
}

// versionOptions returns the options binary's version needs: from Redis 7 on, DEBUG (used by tests to
// stall the server, e.g. DEBUG SLEEP) is refused unless enabled.
func versionOptions(binary string) ([]string, error) {
	output, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", binary, err)
	}
	major, err := majorVersion(string(output))
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", binary, err)
	}
	if major >= 7 {
		return []string{"--enable-debug-command", "yes"}, nil
	}
	return nil, nil
}

// majorVersion reads the major version in redis-server --version's output, e.g. "Redis server
// v=7.0.15 sha=…".
func majorVersion(output string) (int, error) {
	for _, field := range strings.Fields(output) {
		if version, ok := strings.CutPrefix(field, "v="); ok {
			major, _, _ := strings.Cut(version, ".")
			return strconv.Atoi(major)
		}
	}
	return 0, fmt.Errorf("no v=<version> in %q", strings.TrimSpace(output))
}

func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := listener.Addr().(*net.TCPAddr).Port
	return port, listener.Close()
}

// start runs redis-server on s.Port and waits until it answers.
func (s *Server) start() error {
	appendOnly := []string{"--appendonly", "no"}
	if s.persist {
		appendOnly = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	args := append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "",
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log")}, appendOnly...)
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
	}
	args = append(args, s.extra...)
	s.cmd = exec.Command(s.binary, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with a killed test or tool
	exited := make(chan struct{})
	s.exited = exited
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func(cmd *exec.Cmd) {
		s.waitErr = cmd.Wait()
		close(exited)
	}(s.cmd)
	client := s.Client()
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.cmd = nil
			return fmt.Errorf("redis-server exited: %v\n%s", s.waitErr, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server on port %d does not answer: %v", s.Port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// URL returns the server's redis:// URL, with the password when there is one.
func (s *Server) URL() string {
	if s.Password != "" {
		return fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", s.Password, s.Port)
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/0", s.Port)
}

// Client returns a new client of the server; the caller closes it.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.Port), Password: s.Password, DisableIdentity: true})
}

// Stop stops the server (SIGTERM, then SIGKILL after 5s) and waits for it. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case it was paused
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.kill()
	}
	s.cmd = nil
}

// Kill stops the server with SIGKILL (no shutdown work) and waits for it. Killing a stopped server does
// nothing.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	s.kill()
	s.cmd = nil
}

func (s *Server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Restart stops the server if it runs and starts a new one on the same port (its data is gone, unless
// the server is persistent and its files in dir are left).
func (s *Server) Restart() error {
	s.Stop()
	return s.start()
}

// Pause stops the server's process (SIGSTOP): connections stay open but nothing answers.
func (s *Server) Pause() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

// Pid returns the pid of the redis-server process, 0 when it does not run.
func (s *Server) Pid() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}
