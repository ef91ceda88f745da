package redis

import (
	"context"
	_ "embed" // the claim script
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// Redis defaults. Every call is bounded by the dial, write and read timeouts (each 500ms unless the URL
// sets dial_timeout, write_timeout or read_timeout), so one call returns within about 1.5s even when Redis
// does not answer; a claim is re-sent after a failed call while its hold window is open (see ClaimTick).
const (
	defaultURL     = "redis://127.0.0.1:6379/0"
	defaultPrefix  = "hade:"
	defaultTimeout = 500 * time.Millisecond
)

// maxClaimBatch bounds the claims one script call carries, so a call blocks Redis for a few ms at most.
const maxClaimBatch = 500

// claimScript is the claim script; see claim.lua for its arguments and replies.
//
//go:embed claim.lua
var claimScript string

// redisBackend implements contract.Backend for processes on any number of hosts that share one Redis (a
// single server or a primary, version 5.0 or later; not Redis Cluster, as one call touches many services'
// keys). A claim is part of one EVALSHA of a Lua script (EVAL once after Redis restarts) that applies the
// rule of fence.claim to the service's fence, the hash <prefix>distributed:<service>, using Redis's own
// clock; fences never expire. Claims made at the same time are sent together (group commit): one
// goroutine sends the claims waiting when the previous call returns, up to 500 in one call, so a process
// whose many jobs fire at one tick makes one or two round trips, not one per job, and a lone claim waits
// for nobody. Each claim of a call is decided on its own: a Redis error on one key fails that claim only.
// A claim whose call failed (it may have been applied and its reply lost) is sent again, with the same
// tick and app id, which is idempotent, while its hold window is open by the local clock (see ClaimTick).
// Clock skew between a host and Redis only shifts when that host fires: claims up to holdTime early or
// late (by Redis's clock) are accepted, a host further off is refused every tick (never run twice), and
// the other hosts cover. A Redis that loses writes (restart without persistence, failover to a lagging
// replica) forgets fences: a tick claimed within the last holdTime before the loss could then be claimed
// again.
type redisBackend struct {
	queue    *claimqueue.Queue[scriptEntry, scriptReply]
	client   *redis.Client
	script   *redis.Script
	prefix   string
	address  string // host:port, for messages
	db       int
	setting  string // where the URL is configured, for messages
	timeout  time.Duration
	releases claimqueue.Releases[scriptEntry, scriptReply] // the last release ReleaseRun queued, by service
	outage   *claimqueue.Outage                            // logs the start and end of an outage
	// retention bounds the run history (redis_history.go); zero fields are the defaults of backend.Retention.WithDefaults.
	retention backend.Retention
}

// newRedis returns a Redis backend for rawURL (redis://[user:password@]host:port/db or rediss:// for
// TLS; the go-redis query options such as dial_timeout=1s are accepted) with keys under prefix. It does
// not connect (see Ping); it starts the goroutine that sends claims, which Close stops. It returns an
// error naming redis.Config.URL, and never the URL's password, when the URL is malformed or has an option go-redis
// does not know. go-redis's own retries are disabled whatever the URL says (one dial per call at most):
// the backend re-sends claims itself. logger receives the start and end of an outage.
func newRedis(rawURL, prefix string, logger *slog.Logger) (*redisBackend, error) {
	const setting = "redis.Config.URL"
	options, err := parseRedisURL(rawURL, setting)
	if err != nil {
		return nil, err
	}
	for _, timeout := range []*time.Duration{&options.DialTimeout, &options.ReadTimeout, &options.WriteTimeout} {
		if *timeout == 0 {
			*timeout = defaultTimeout
		}
	}
	options.MaxRetries = -1   // a call is sent once
	options.DialerRetries = 1 // and fails fast while Redis is down: one dial per call
	options.ContextTimeoutEnabled = true
	options.DisableIdentity = true
	r := &redisBackend{
		client:  redis.NewClient(options),
		script:  redis.NewScript(claimScript),
		prefix:  prefix,
		address: options.Addr,
		db:      options.DB,
		setting: setting,
		timeout: callBound(options.DialTimeout, options.WriteTimeout, options.ReadTimeout),
	}
	r.outage = &claimqueue.Outage{Logger: logger, Backend: "redis", Where: []any{"server", r.address, "db", r.db}}
	r.queue = claimqueue.New(maxClaimBatch, r.send)
	return r, nil
}

// callBound is the deadline of one call: the sum of the timeouts, counting a disabled one (< 0) as the
// default, so no call is unbounded.
func callBound(timeouts ...time.Duration) time.Duration {
	var bound time.Duration
	for _, timeout := range timeouts {
		if timeout <= 0 {
			timeout = defaultTimeout
		}
		bound += timeout
	}
	return bound
}

// FenceKey returns the key of serviceName's fence.
func (r *redisBackend) FenceKey(serviceName string) string {
	return r.prefix + "distributed:" + serviceName
}

// Ping checks that Redis answers, accepts the credentials and is version 5.0 or later (read from INFO
// server); the error names the address and the setting to fix, or the server's version and the minimum.
func (r *redisBackend) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s db %d (%s) does not answer PING: %w", r.address, r.db, r.setting, err)
	}
	info, err := r.client.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("redis at %s db %d (%s) does not answer INFO server: %w", r.address, r.db, r.setting, err)
	}
	text, version, err := serverVersion(info)
	if err != nil {
		return fmt.Errorf("redis at %s db %d (%s): %w; hade needs Redis %s or later", r.address, r.db, r.setting, err, minRedisVersion)
	}
	if !version.AtLeast(minRedisVersion) {
		return fmt.Errorf("redis at %s db %d (%s) is version %s; hade's claim script needs Redis %s or later: upgrade it or point %s at another server",
			r.address, r.db, r.setting, text, minRedisVersion, r.setting)
	}
	return nil
}

// Describe says where the backend is and whether Redis answers now, for `cron state` and `cron list`.
func (r *redisBackend) Describe(ctx context.Context) string {
	started := time.Now()
	if err := r.Ping(ctx); err != nil {
		return fmt.Sprintf("redis at %s db %d, key prefix %q: NOT ANSWERING: %v", r.address, r.db, r.prefix, err)
	}
	return fmt.Sprintf("redis at %s db %d, key prefix %q: answers (PING %s)", r.address, r.db, r.prefix, time.Since(started).Round(time.Microsecond))
}

// Close stops sending claims (claims waiting fail) and closes the connections.
func (r *redisBackend) Close() error {
	r.queue.Close()
	return r.client.Close()
}

// ClaimTick implements contract.Distributed.ClaimTick in one script call, shared with the claims made at
// the same moment; a zero claim.LiveUntil counts as claim.Tick+claim.HoldTime. Besides invalid input,
// contract.ErrTickClosed and contract.ErrDefinitionConflict, it returns:
//   - ctx's error when ctx ends while the claim waits in line, before it is sent;
//   - an error when Redis answers this claim with an error (e.g. WRONGTYPE: another value sits at the
//     fence key); it is not retried, and nothing was written for it;
//   - an error when the backend is closed, or the claim waited longer than one call bound in line;
//   - the last error when the call failed (Redis down, a timeout, a lost reply) and re-sending it, every
//     75ms with the same tick and app id, did not get an answer before
//     claim.Tick+claim.HoldTime, or one call bound before the job's next tick (local clock), or before ctx ended. A re-sent claim that had been applied returns claim.AppID.
//
// Once sent, a claim is answered whatever ctx does, so a won tick is never reported as lost.
func (r *redisBackend) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	c, err := rules.ValidateClaim(c)
	if err != nil {
		return contract.Claimed{}, err
	}
	return r.claim(ctx, c)
}
