package distributed

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/contract"
)

// Redis defaults. Every call is bounded by the dial, write and read timeouts (each 500ms unless the URL
// sets dial_timeout, write_timeout or read_timeout), so a claim returns within about 1.5s even when Redis
// does not answer: shorter than a 1s-interval job's 2s hold time.
const (
	DefaultRedisURL     = "redis://127.0.0.1:6379/0"
	DefaultRedisPrefix  = "hade:"
	DefaultRedisTimeout = 500 * time.Millisecond
)

// claimScript claims a tick atomically, with Redis's clock. KEYS[1] is the service's fence, a hash with
// "tick" (microseconds since the Unix epoch) and "winner". ARGV: the tick in microseconds, or "window" to
// claim the holdTime-aligned window containing Redis's now (Select); the app id; holdTime in microseconds.
// It returns {0, appID} when won, {1, winner} when the tick was already won, {2, latest tick} when a later
// tick was claimed, {3, Redis now} when now is outside [tick-hold, tick+hold]. The fence expires at
// tick+hold+1s: after that no claim of a tick up to it can pass the window check, so keys stay one per
// active service.
const claimScript = `
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local hold_us = tonumber(ARGV[3])
local tick_us
if ARGV[1] == 'window' then
  tick_us = now_us - (now_us % hold_us)
else
  tick_us = tonumber(ARGV[1])
end
local fence = redis.call('HMGET', KEYS[1], 'tick', 'winner')
if fence[1] then
  local fence_us = tonumber(fence[1])
  if tick_us == fence_us then return {1, fence[2]} end
  if tick_us < fence_us then return {2, fence[1]} end
end
if now_us < tick_us - hold_us or now_us > tick_us + hold_us then
  return {3, string.format('%d', now_us)}
end
redis.call('HSET', KEYS[1], 'tick', string.format('%d', tick_us), 'winner', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], math.floor((tick_us + hold_us) / 1000) + 1000)
return {0, ARGV[2]}
`

// Redis implements contract.Distributed for processes on any number of hosts that share one Redis. A
// claim is one EVALSHA of a Lua script (EVAL once after Redis restarts), tried once: it compares and moves
// the service's fence, the hash <prefix>distributed:<service>, using Redis's own clock for the claim
// window. Clock skew between a host and Redis only shifts when that host fires: claims up to holdTime
// early or late (by Redis's clock) are accepted, a host further off is refused every tick (never run
// twice), and the other hosts cover. A Redis that loses writes (restart without persistence, failover to
// a lagging replica) forgets fences: a tick claimed within the last holdTime before the loss could then be
// claimed again.
type Redis struct {
	client  *redis.Client
	script  *redis.Script
	prefix  string
	address string // host:port, for messages
	db      int
	setting string // where the URL is configured, for messages
	timeout time.Duration
}

// NewRedis returns a Redis backend for rawURL (redis://[user:password@]host:port/db or rediss:// for
// TLS; the go-redis query options such as dial_timeout=1s are accepted) with keys under prefix. It does
// not connect (see Ping). It returns an error naming setting when the URL is malformed or has an option
// go-redis does not know. Retries are disabled whatever the URL says: a claim is tried once, with one dial at most.
func NewRedis(rawURL, prefix, setting string) (*Redis, error) {
	options, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL %q (%s) is invalid: %v; valid: redis://[user:password@]host:port/db or rediss://… for TLS", redact(rawURL), setting, err)
	}
	for _, timeout := range []*time.Duration{&options.DialTimeout, &options.ReadTimeout, &options.WriteTimeout} {
		if *timeout == 0 {
			*timeout = DefaultRedisTimeout
		}
	}
	options.MaxRetries = -1   // a claim is sent once
	options.DialerRetries = 1 // and fails fast while Redis is down: one dial per call
	options.ContextTimeoutEnabled = true
	options.DisableIdentity = true
	return &Redis{
		client:  redis.NewClient(options),
		script:  redis.NewScript(claimScript),
		prefix:  prefix,
		address: options.Addr,
		db:      options.DB,
		setting: setting,
		timeout: callBound(options.DialTimeout, options.WriteTimeout, options.ReadTimeout),
	}, nil
}

// callBound is the deadline of one call: the sum of the timeouts, counting a disabled one (< 0) as the
// default, so no call is unbounded.
func callBound(timeouts ...time.Duration) time.Duration {
	var bound time.Duration
	for _, timeout := range timeouts {
		if timeout <= 0 {
			timeout = DefaultRedisTimeout
		}
		bound += timeout
	}
	return bound
}

// redact hides the password of a URL for messages.
func redact(rawURL string) string {
	parsed, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	return parsed.Redacted()
}

// FenceKey returns the key of serviceName's fence.
func (r *Redis) FenceKey(serviceName string) string {
	return r.prefix + "distributed:" + serviceName
}

// Ping checks that Redis answers and accepts the credentials; the error names the address and the
// setting to fix.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis at %s db %d (%s) does not answer PING: %w", r.address, r.db, r.setting, err)
	}
	return nil
}

// Describe says where the backend is and whether Redis answers now, for `cron state` and `cron list`.
func (r *Redis) Describe(ctx context.Context) string {
	started := time.Now()
	if err := r.Ping(ctx); err != nil {
		return fmt.Sprintf("redis at %s db %d, key prefix %q: NOT ANSWERING: %v", r.address, r.db, r.prefix, err)
	}
	return fmt.Sprintf("redis at %s db %d, key prefix %q: answers (PING %s)", r.address, r.db, r.prefix, time.Since(started).Round(time.Microsecond))
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// ClaimTick implements contract.Distributed.ClaimTick with one script call. Besides invalid input and
// contract.ErrTickClosed, it returns an error when Redis cannot be reached, times out or answers with an
// error; the claim is not retried.
func (r *Redis) ClaimTick(serviceName, appID string, tick time.Time, holdTime time.Duration) (string, error) {
	if err := validateClaim(serviceName, appID, tick, holdTime); err != nil {
		return "", err
	}
	return r.claim(serviceName, appID, strconv.FormatInt(tick.UnixMicro(), 10), holdTime)
}

// Select implements contract.Distributed.Select; the window is cut by Redis's clock.
func (r *Redis) Select(serviceName, appID string, holdTime time.Duration) (string, error) {
	if err := validateSelect(serviceName, appID, holdTime); err != nil {
		return "", err
	}
	return r.claim(serviceName, appID, "window", holdTime)
}

func (r *Redis) claim(serviceName, appID, tick string, holdTime time.Duration) (string, error) {
	holdMicros := max(holdTime.Microseconds(), 1)
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	reply, err := r.script.Run(ctx, r.client, []string{r.FenceKey(serviceName)}, tick, appID, holdMicros).Slice()
	if err != nil {
		return "", fmt.Errorf("redis at %s: claim %s of service %q: %w", r.address, tick, serviceName, err)
	}
	if len(reply) != 2 {
		return "", fmt.Errorf("redis at %s: unexpected claim reply %v", r.address, reply)
	}
	code, codeOK := reply[0].(int64)
	value, valueOK := reply[1].(string)
	if !codeOK || !valueOK {
		return "", fmt.Errorf("redis at %s: unexpected claim reply %v", r.address, reply)
	}
	switch code {
	case 0, 1:
		return value, nil
	case 2:
		return "", fmt.Errorf("%w: tick %s (µs) is older than the latest claimed tick %s (µs)", contract.ErrTickClosed, tick, value)
	case 3:
		return "", fmt.Errorf("%w: tick %s (µs) claimed at Redis time %s (µs), outside its claim window of ±%s", contract.ErrTickClosed, tick, value, holdTime)
	}
	return "", errors.New("redis: unknown claim reply code " + strconv.FormatInt(code, 10))
}
