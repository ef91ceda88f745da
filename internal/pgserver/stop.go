package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// shutdownTimeout bounds a fast shutdown before the server is killed.
const shutdownTimeout = 30 * time.Second

// Shutdown stops the server with a fast shutdown (SIGINT: sessions are ended, a checkpoint is written)
// and waits for it, at most 30 s, then kills it as Kill does; the data folder stays for Restart. A paused
// server is resumed first. Shutting down a stopped server does nothing.
func (s *Server) Shutdown() {
	if !s.Running() {
		return
	}
	_ = s.Resume()
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(shutdownTimeout):
		s.Kill()
	}
}

// Stop shuts the server down (see Shutdown) and removes its folder, and the shared memory segment a
// killed server leaves. Stopping a stopped server does nothing more; it cannot be restarted.
func (s *Server) Stop() {
	s.Shutdown()
	s.removeSharedMemory()
	_ = os.RemoveAll(s.folder)
}

// Restart starts the server again on its data folder and port, after Kill (crash recovery), Shutdown, or
// while it runs (after a fast shutdown), and waits until it accepts connections, at most a minute. It is
// an error after Stop, or when the server does not come up (the log's tail included).
func (s *Server) Restart() error {
	s.Shutdown()
	if _, err := os.Stat(s.dataDir()); err != nil {
		return fmt.Errorf("restart postgres (Stop removes the data): %w", err)
	}
	if err := s.launch(); err != nil {
		return fmt.Errorf("restart postgres: %w", err)
	}
	if err := s.waitReady(readyTimeout); err != nil {
		s.Kill()
		return fmt.Errorf("restart postgres: %w", err)
	}
	return nil
}

// removeSharedMemory removes the System V shared memory segment that the postmaster.pid of a stopped
// server names when it is still there and nothing is attached to it: a clean shutdown removes both, a
// killed server leaves them to its next start, which Stop prevents.
func (s *Server) removeSharedMemory() {
	data, err := os.ReadFile(filepath.Join(s.dataDir(), "postmaster.pid"))
	if err != nil || s.Running() {
		return
	}
	key, id, ok := sharedMemoryOf(string(data))
	var segment unix.SysvShmDesc
	if !ok {
		return
	}
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &segment); err == nil && uint32(segment.Perm.Key) == key &&
		segment.Nattch == 0 {
		_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	}
}

// sharedMemoryOf reads the key and id of the shared memory segment in a postmaster.pid (its 7th line,
// "key id"); ok is false when it has none.
func sharedMemoryOf(pidFile string) (key uint32, id int, ok bool) {
	lines := strings.Split(pidFile, "\n")
	if len(lines) < 7 {
		return 0, 0, false
	}
	fields := strings.Fields(lines[6])
	if len(fields) != 2 {
		return 0, 0, false
	}
	key64, keyErr := strconv.ParseUint(fields[0], 10, 32)
	id, idErr := strconv.Atoi(fields[1])
	return uint32(key64), id, keyErr == nil && idErr == nil
}
