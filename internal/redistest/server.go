// Package redistest runs a real redis-server for tests, on a free loopback port, without persistence.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireEnv is set to 1 by `make test`: then a missing redis-server fails the tests instead of skipping
// them.
const RequireEnv = "HADE_REQUIRE_REDIS"

// Server is a redis-server started by a test; the test's cleanup stops it.
type Server struct {
	Port     int
	Password string

	t       testing.TB
	binary  string
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Start starts redis-server, with requirepass when password is not empty. Without redis-server on the
// PATH it skips the test with a message naming `make test`, or fails it when RequireEnv is 1.
func Start(t testing.TB, password string) *Server {
	t.Helper()
	binary, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("redis-server is not on the PATH and %s=1: install it (make test does)", RequireEnv)
		}
		t.Skip("redis-server is not on the PATH: run `make test`, which installs it and runs these tests")
	}
	s := &Server{Password: password, t: t, binary: binary, dir: t.TempDir()}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.Port, lastErr = freePort(); lastErr != nil {
			continue
		}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
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
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log")}
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
	}
	s.cmd = exec.Command(s.binary, args...)
	s.exited = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func(cmd *exec.Cmd, exited chan struct{}) {
		s.waitErr = cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	client := s.Client()
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
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

// Client returns a new client of the server, for assertions; the caller closes it.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.Port), Password: s.Password, DisableIdentity: true})
}

// Stop stops the server (SIGTERM, then SIGKILL after 5s) and waits for it. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case the test paused it
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.kill()
	}
	s.cmd = nil
}

func (s *Server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Restart stops the server and starts a new one on the same port (its data is gone: no persistence).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart redis-server: %v", err)
	}
}

// Pause stops the server's process (SIGSTOP): connections stay open but nothing answers.
func (s *Server) Pause() {
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("pause redis-server: %v", err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		s.t.Fatalf("resume redis-server: %v", err)
	}
}
