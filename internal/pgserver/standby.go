package pgserver

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// streamTimeout bounds the waits for a standby to stream and for its primary to call it synchronous.
const streamTimeout = 30 * time.Second

// StartStandby makes a streaming standby of s in a new folder under dir (as root: under os.TempDir(), see
// Start) and starts it on a free port of Host: a base backup of s with pg_basebackup -R (with the WAL
// streamed along, so it is consistent at once), so the same superuser, password, settings and TLS files
// (CAFile is its own copy), with hot_standby (it answers reads, refuses writes). Its application_name is
// hade_standby_<n>, n counting s's standbys. It returns once the standby streams from s, and when
// synchronous, once s waits for it on every commit (see addSynchronous), at most 30 s each; else why not.
// s may be a promoted standby (a new synchronous standby after a failover); the numbering goes on from the
// server s was made from, so every name in a chain of failovers is new.
func (s *Server) StartStandby(dir string, synchronous bool) (*Server, error) {
	if !s.Running() {
		return nil, fmt.Errorf("start a standby of postgres on port %d: it does not run", s.port)
	}
	standby, err := newServer(dir, s.options, s.bin)
	if err != nil {
		return nil, err
	}
	s.standbys++
	standby.appName = fmt.Sprintf("hade_standby_%d", s.standbys)
	standby.standbys = s.standbys // a standby of it, once promoted, gets the next number: names stay unique
	if err := standby.baseBackup(s); err != nil {
		standby.Stop()
		return nil, err
	}
	if err := standby.startOnFreePort(); err != nil {
		standby.Stop()
		return nil, err
	}
	if err := standby.waitLog(0, "started streaming WAL from primary", streamTimeout); err != nil {
		standby.Stop()
		return nil, err
	}
	if synchronous {
		if err := s.addSynchronous(standby.appName); err != nil {
			standby.Stop()
			return nil, err
		}
	}
	return standby, nil
}

// baseBackup copies primary's data into s's data folder with pg_basebackup -R (it writes standby.signal
// and a primary_conninfo), then appends to postgresql.auto.conf, where the later lines win:
// primary_conninfo naming s.appName, no synchronous standbys of its own (a promoted standby must not wait
// for its former primary's), and a status report to the primary every second (so the primary soon logs
// a new synchronous standby; a commit's is sent at once anyway).
func (s *Server) baseBackup(primary *Server) error {
	args := []string{"-D", s.dataDir(), "-h", Host, "-p", strconv.Itoa(primary.port), "-U", User, "-w", "-R",
		"-X", "stream", "-c", "fast", "--no-sync"}
	output, err := s.command(s.bin.pgBasebackup, args, "PGPASSWORD="+s.options.Password).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_basebackup: %w\n%s", err, output)
	}
	if primary.caFile != "" {
		s.caFile = filepath.Join(s.dataDir(), filepath.Base(primary.caFile))
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=%s password=%s application_name=%s", Host, primary.port,
		User, conninfoQuote(s.options.Password), s.appName)
	return appendSettings(filepath.Join(s.dataDir(), "postgresql.auto.conf"), [][2]string{
		{"primary_conninfo", conninfo}, {"synchronous_standby_names", ""}, {"wal_receiver_status_interval", "1"}})
}

// addSynchronous makes s wait on every commit for its standby name and every earlier synchronous one
// (synchronous_standby_names = 'FIRST <n> (names)', synchronous_commit = on, in postgresql.auto.conf,
// which is read last: a promoted standby's says synchronous_standby_names = ” there, see baseBackup),
// reloads s (SIGHUP) and waits until s logs that name is a synchronous standby, at most 30 s.
func (s *Server) addSynchronous(name string) error {
	s.sync = append(s.sync, name)
	names := fmt.Sprintf("FIRST %d (%s)", len(s.sync), strings.Join(s.sync, ", "))
	offset := s.logSize()
	err := appendSettings(filepath.Join(s.dataDir(), "postgresql.auto.conf"), [][2]string{
		{"synchronous_standby_names", names}, {"synchronous_commit", "on"}})
	if err != nil {
		return err
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		return fmt.Errorf("reload postgres: %w", err)
	}
	return s.waitLog(offset, fmt.Sprintf("standby %q is now a synchronous standby", name), streamTimeout)
}

// Promote ends a standby's recovery with pg_ctl promote and waits until it accepts writes (it logs
// "database system is ready to accept connections" after the promotion), at most a minute. It is an
// error when the server does not run or is not a standby; its log's tail is then included.
func (s *Server) Promote() error {
	if !s.Running() {
		return fmt.Errorf("promote postgres on port %d: it does not run", s.port)
	}
	offset := s.logSize()
	args := []string{"promote", "-D", s.dataDir(), "-w", "-t", strconv.Itoa(int(readyTimeout.Seconds()))}
	if output, err := s.command(s.bin.pgCtl, args).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl promote: %w\n%s\n%s", err, output, s.logTail(30))
	}
	return s.waitLog(offset, "database system is ready to accept connections", readyTimeout)
}

// WaitSynchronous waits until each synchronous standby of s (StartStandby with synchronous) streams from
// s again since s last started, at most 30 s each: after a Restart, s accepts connections at once, but
// every commit waits until its synchronous standbys reconnected. It returns at once without them.
func (s *Server) WaitSynchronous() error {
	for _, name := range s.sync {
		if err := s.waitLog(s.launched, fmt.Sprintf("standby %q is now a synchronous standby", name), streamTimeout); err != nil {
			return err
		}
	}
	return nil
}
