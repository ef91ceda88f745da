package verify

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hadeframe/hade/internal/pgserver"
)

// PostgreSQL fault kinds. All but the failover strike whichever server is the primary at the time.
const (
	faultPostgresKill     = "postgres-kill-restart" // kill -9 of every server process, down 0.5–2 × hold, restarted (crash recovery)
	faultPostgresPause    = "postgres-pause"        // SIGSTOP of every server process for 0.5–3 × hold, then SIGCONT
	faultPostgresRestart  = "postgres-restart"      // fast shutdown (sessions ended, a checkpoint), then started again
	faultPostgresFailover = "postgres-failover"     // kill -9 of the primary, the standby promoted after 0.5–2 × hold, a new standby made
)

// postgresSettings are the clusters' settings beyond pgserver's: a standby whose primary went away (a
// restart of it) connects again after 200 ms rather than 5 s, since until then every commit waits for it.
var postgresSettings = map[string]string{"wal_retrieve_retry_interval": "200ms"}

// postgresBackend is a private PostgreSQL primary (internal/pgserver: initdb, a free loopback port,
// superuser and database hade) with a synchronous streaming standby, their data on disk; a committed
// transaction survives each of its faults, a failover included (the standby has every commit the primary
// acknowledged). The nodes' URL lists both servers with target_session_attrs=read-write, so they write
// to whichever accepts writes. The server's clock judges claims (clock_timestamp()), as Redis's TIME does.
type postgresBackend struct {
	dir     string
	servers [2]*pgserver.Server // by endpoint: the primary and the standby, in either order after failovers
	primary int                 // the index of the primary in servers
	move    func(index int, target string)
}

func (b *postgresBackend) start(dir string) error {
	b.dir = filepath.Join(dir, "postgres")
	if err := mkdir(b.dir); err != nil {
		return err
	}
	primary, err := pgserver.Start(b.dir, pgserver.Options{Settings: postgresSettings})
	if err != nil {
		return err
	}
	b.servers[0] = primary
	standby, err := primary.StartStandby(b.dir, true)
	if err != nil {
		return fmt.Errorf("start the synchronous standby: %w", err)
	}
	b.servers[1] = standby
	return nil
}

func (b *postgresBackend) stop() {
	for _, server := range b.servers {
		if server != nil {
			server.Stop()
		}
	}
}

func (b *postgresBackend) endpoints() []string {
	return []string{address(b.servers[0]), address(b.servers[1])}
}

// address is server's host:port.
func address(server *pgserver.Server) string {
	return server.Host() + ":" + strconv.Itoa(server.Port())
}

func (b *postgresBackend) setMove(move func(index int, target string)) { b.move = move }

// nodeFlags gives the node a URL listing both servers through its proxies, without TLS, the password in
// it, with target_session_attrs=read-write: the node connects to the one that accepts writes.
func (b *postgresBackend) nodeFlags(base string, via []string) []string {
	address := url.URL{Scheme: "postgres", User: url.UserPassword(pgserver.User, b.servers[0].Password()),
		Host: strings.Join(via, ","), Path: "/" + pgserver.Database,
		RawQuery: "sslmode=disable&target_session_attrs=read-write"}
	return []string{"--base-folder", base, "--distributed", "postgres", "--postgres-url", address.String()}
}

func (*postgresBackend) sharedBase() bool   { return false }
func (*postgresBackend) claimerClock() bool { return false }

func (*postgresBackend) faultKinds() []string {
	return []string{faultPostgresKill, faultPostgresPause, faultPostgresRestart, faultPostgresFailover}
}

func (b *postgresBackend) inject(kind string, rng *rand.Rand, hold time.Duration, f *Record) error {
	primary := b.servers[b.primary]
	f.Service = fmt.Sprintf("postgres primary (port %d)", primary.Port())
	switch kind {
	case faultPostgresKill:
		down := between(rng, hold/2, 2*hold)
		f.Error = fmt.Sprintf("SIGKILL of every server process, down %s, restarted (crash recovery)", down)
		primary.Kill()
		time.Sleep(down)
		return restarted(primary)
	case faultPostgresPause:
		pause := between(rng, hold/2, 3*hold)
		f.Error = fmt.Sprintf("SIGSTOP of every server process for %s", pause)
		if err := primary.Pause(); err != nil {
			return err
		}
		time.Sleep(pause)
		return primary.Resume()
	case faultPostgresRestart:
		f.Error = "fast shutdown, then started again"
		primary.Shutdown()
		return restarted(primary)
	case faultPostgresFailover:
		return b.failover(rng, hold, f)
	}
	return fmt.Errorf("the postgres backend has no fault %q", kind)
}

// restarted starts server again after a kill or shutdown and waits until it accepts connections and its
// synchronous standby streams from it again (until then a commit waits).
func restarted(server *pgserver.Server) error {
	if err := server.Restart(); err != nil {
		return err
	}
	return server.WaitSynchronous()
}

// failover kills the primary (SIGKILL of every process), promotes the standby after 0.5–2 × hold, removes
// the old primary and makes a new synchronous standby of the new primary (pg_basebackup), on a port of its
// own, to which the old primary's proxies then point: the next faults, another failover included, find a
// primary and a synchronous standby again. It returns once the new standby is synchronous.
func (b *postgresBackend) failover(rng *rand.Rand, hold time.Duration, f *Record) error {
	old, next := b.primary, 1-b.primary
	down := between(rng, hold/2, 2*hold)
	f.Error = fmt.Sprintf("SIGKILL of every process of the primary (port %d), standby (port %d) promoted after %s",
		b.servers[old].Port(), b.servers[next].Port(), down)
	b.servers[old].Kill()
	time.Sleep(down)
	if err := b.servers[next].Promote(); err != nil {
		return err
	}
	b.primary = next
	b.servers[old].Stop()
	b.servers[old] = nil
	standby, err := b.servers[next].StartStandby(b.dir, true)
	if err != nil {
		return fmt.Errorf("start a synchronous standby of the promoted server: %w", err)
	}
	b.servers[old] = standby
	b.move(old, address(standby))
	f.Error += fmt.Sprintf(", new synchronous standby %s on port %d", standby.ApplicationName(), standby.Port())
	return nil
}
