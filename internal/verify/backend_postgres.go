package verify

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hadeframe/hade/internal/pgserver"
)

// PostgreSQL fault kinds.
const (
	faultPostgresKill    = "postgres-kill-restart" // kill -9 of every server process, down 0.5–2 × hold, restarted (crash recovery)
	faultPostgresPause   = "postgres-pause"        // SIGSTOP of every server process for 0.5–3 × hold, then SIGCONT
	faultPostgresRestart = "postgres-restart"      // fast shutdown (sessions ended, a checkpoint), then started again
)

// postgresBackend is a private PostgreSQL cluster (internal/pgserver: initdb, a free loopback port,
// superuser and database hade) with its data on disk; a committed transaction survives each of its faults.
// The server's clock judges claims (clock_timestamp()), as Redis's TIME does.
type postgresBackend struct {
	server *pgserver.Server
}

func (b *postgresBackend) start(dir string) error {
	dir = filepath.Join(dir, "postgres")
	if err := mkdir(dir); err != nil {
		return err
	}
	server, err := pgserver.Start(dir, pgserver.Options{})
	if err != nil {
		return err
	}
	b.server = server
	return nil
}

func (b *postgresBackend) stop() {
	if b.server != nil {
		b.server.Stop()
	}
}

func (b *postgresBackend) endpoints() []string {
	return []string{b.server.Host() + ":" + strconv.Itoa(b.server.Port())}
}

// nodeFlags gives the node the server's URL through its proxy, without TLS, the password in it.
func (b *postgresBackend) nodeFlags(base string, via []string) []string {
	address := url.URL{Scheme: "postgres", User: url.UserPassword(pgserver.User, b.server.Password()), Host: via[0],
		Path: "/" + pgserver.Database, RawQuery: "sslmode=disable"}
	return []string{"--base-folder", base, "--distributed", "postgres", "--postgres-url", address.String()}
}

func (*postgresBackend) sharedBase() bool   { return false }
func (*postgresBackend) claimerClock() bool { return false }

func (*postgresBackend) faultKinds() []string {
	return []string{faultPostgresKill, faultPostgresPause, faultPostgresRestart}
}

func (b *postgresBackend) inject(kind string, rng *rand.Rand, hold time.Duration, f *Record) error {
	f.Service = "postgres"
	switch kind {
	case faultPostgresKill:
		down := between(rng, hold/2, 2*hold)
		f.Error = fmt.Sprintf("SIGKILL of every server process, down %s, restarted (crash recovery)", down)
		b.server.Kill()
		time.Sleep(down)
		return b.server.Restart()
	case faultPostgresPause:
		pause := between(rng, hold/2, 3*hold)
		f.Error = fmt.Sprintf("SIGSTOP of every server process for %s", pause)
		if err := b.server.Pause(); err != nil {
			return err
		}
		time.Sleep(pause)
		return b.server.Resume()
	case faultPostgresRestart:
		f.Error = "fast shutdown, then started again"
		b.server.Shutdown()
		return b.server.Restart()
	}
	return fmt.Errorf("the postgres backend has no fault %q", kind)
}
