package verify

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/hadeframe/hade/internal/redisserver"
)

// Redis fault kinds.
const (
	faultRedisKill  = "redis-kill-restart"  // SIGKILL, down a while, restarted with its append-only file
	faultRedisWipe  = "redis-restart-empty" // stopped, files removed, restarted empty after 2×hold and more
	faultRedisPause = "redis-pause"         // SIGSTOP for 0.5–3 × hold, then SIGCONT
)

// redisBackend is a private redis-server on a free loopback port, with an append-only file synced at
// every write: the configuration the guarantee needs. A restart without persistence is emulated by
// removing the files before the restart, and the server then stays down longer than twice the hold
// time, as the README asks of a failover that loses data.
type redisBackend struct {
	dir    string
	server *redisserver.Server
}

func (b *redisBackend) start(dir string) error {
	b.dir = filepath.Join(dir, "redis")
	if err := mkdir(b.dir); err != nil {
		return err
	}
	server, err := redisserver.StartPersistent(b.dir, "")
	if err != nil {
		return err
	}
	b.server = server
	return nil
}

func (b *redisBackend) stop() {
	if b.server != nil {
		b.server.Stop()
	}
}

func (b *redisBackend) endpoints() []string {
	return []string{fmt.Sprintf("127.0.0.1:%d", b.server.Port)}
}

// nodeFlags gives the node the server's URL through its proxy (the server has no password).
func (b *redisBackend) nodeFlags(base string, via []string) []string {
	return []string{"--base-folder", base, "--distributed", "redis", "--redis-url", "redis://" + via[0] + "/0",
		"--redis-prefix", "hadeverify:"}
}

func (*redisBackend) sharedBase() bool   { return false }
func (*redisBackend) claimerClock() bool { return false }

func (*redisBackend) faultKinds() []string {
	return []string{faultRedisKill, faultRedisWipe, faultRedisPause}
}

func (b *redisBackend) inject(kind string, rng *rand.Rand, hold time.Duration, f *Record) error {
	f.Service = "redis-server"
	switch kind {
	case faultRedisKill:
		down := between(rng, hold/2, 2*hold)
		f.Error = fmt.Sprintf("SIGKILL, down %s, restarted from its append-only file", down)
		b.server.Kill()
		time.Sleep(down)
		return b.server.Restart()
	case faultRedisWipe:
		down := 2*hold + between(rng, hold/2, hold)
		f.Error = fmt.Sprintf("SIGTERM, files removed, down %s, restarted empty", down)
		b.server.Stop()
		if err := b.removeData(); err != nil {
			return err
		}
		time.Sleep(down)
		return b.server.Restart()
	case faultRedisPause:
		pause := between(rng, hold/2, 3*hold)
		f.Error = fmt.Sprintf("SIGSTOP for %s", pause)
		if err := b.server.Pause(); err != nil {
			return err
		}
		time.Sleep(pause)
		return b.server.Resume()
	}
	return fmt.Errorf("the redis backend has no fault %q", kind)
}

// removeData removes the server's data files (append-only file or folder, snapshot), keeping its log.
func (b *redisBackend) removeData() error {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return err
	}
	for _, entry := range entries {
		if entry.Name() != "redis.log" {
			if err := os.RemoveAll(filepath.Join(b.dir, entry.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// between returns a duration uniformly in [low, high], in whole ms.
func between(rng *rand.Rand, low, high time.Duration) time.Duration {
	if high <= low {
		return low
	}
	return low + time.Duration(rng.Int64N(int64((high-low)/time.Millisecond)+1))*time.Millisecond
}
