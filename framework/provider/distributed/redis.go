package distributed

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
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

// maxClaimBatch bounds the claims one script call carries, so a call blocks Redis for a few ms at most.
const maxClaimBatch = 500

// claimScript claims ticks atomically, with Redis's clock; claim i uses KEYS[i], the service's fence (a
// hash with "tick", microseconds since the Unix epoch, and "winner"), and ARGV[3i-2..3i]: the tick in
// microseconds, or "window" to claim the holdTime-aligned window containing Redis's now (Select); the app
// id; holdTime in microseconds. For claim i it returns, at 2i-1 and 2i: 0 and the app id when won, 1 and
// the winner when the tick was already won, 2 and the latest tick when a later tick was claimed, 3 and
// Redis's now when now is outside [tick-hold, tick+hold]. A fence expires at tick+hold+1s: after that no
// claim of a tick up to it can pass the window check, so keys stay one per active service.
const claimScript = `
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local result = {}
for i = 1, #KEYS do
  local key, tick_arg, app, hold_us = KEYS[i], ARGV[3*i-2], ARGV[3*i-1], tonumber(ARGV[3*i])
  local tick_us
  if tick_arg == 'window' then
    tick_us = now_us - (now_us % hold_us)
  else
    tick_us = tonumber(tick_arg)
  end
  local code, value
  local fence = redis.call('HMGET', key, 'tick', 'winner')
  if fence[1] and tick_us == tonumber(fence[1]) then
    code, value = 1, fence[2]
  elseif fence[1] and tick_us < tonumber(fence[1]) then
    code, value = 2, fence[1]
  elseif now_us < tick_us - hold_us or now_us > tick_us + hold_us then
    code, value = 3, string.format('%d', now_us)
  else
    redis.call('HSET', key, 'tick', string.format('%d', tick_us), 'winner', app)
    redis.call('PEXPIREAT', key, math.floor((tick_us + hold_us) / 1000) + 1000)
    code, value = 0, app
  end
  result[2*i-1] = code
  result[2*i] = value
end
return result
`

// Redis implements contract.Distributed for processes on any number of hosts that share one Redis (a
// single server or a primary; not Redis Cluster, as one call touches many services' keys). A claim is part
// of one EVALSHA of a Lua script (EVAL once after Redis restarts), sent once: it compares and moves the
// service's fence, the hash <prefix>distributed:<service>, using Redis's own clock for the claim window.
// Claims made at the same time are sent together (group commit): one goroutine sends the claims waiting
// when the previous call returns, up to 500 in one call, so a process whose many jobs fire at one tick
// makes one or two round trips, not one per job, and a lone claim waits for nobody. Clock skew between a host and Redis only shifts when that host fires: claims up to holdTime
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

	requests  chan *claimRequest // claims waiting for the sender
	closing   chan struct{}      // closed by Close
	closeOnce sync.Once
	senderEnd chan struct{} // closed when the sender has returned
}

// claimRequest is one claim waiting to be sent.
type claimRequest struct {
	key, tick, appID string
	holdMicros       int64
	sendBy           time.Time       // after it the caller may have given up: fail it unsent
	reply            chan claimReply // buffered: the sender never blocks on it
}

type claimReply struct {
	code  int64
	value string
	err   error
}

// NewRedis returns a Redis backend for rawURL (redis://[user:password@]host:port/db or rediss:// for
// TLS; the go-redis query options such as dial_timeout=1s are accepted) with keys under prefix. It does
// not connect (see Ping); it starts the goroutine that sends claims, which Close stops. It returns an error naming setting when the URL is malformed or has an option
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
	options.MaxRetries = -1   // a call is sent once
	options.DialerRetries = 1 // and fails fast while Redis is down: one dial per call
	options.ContextTimeoutEnabled = true
	options.DisableIdentity = true
	r := &Redis{
		client:    redis.NewClient(options),
		script:    redis.NewScript(claimScript),
		prefix:    prefix,
		address:   options.Addr,
		db:        options.DB,
		setting:   setting,
		timeout:   callBound(options.DialTimeout, options.WriteTimeout, options.ReadTimeout),
		requests:  make(chan *claimRequest, 4*maxClaimBatch),
		closing:   make(chan struct{}),
		senderEnd: make(chan struct{}),
	}
	go r.sendClaims()
	return r, nil
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

// Close stops sending claims (claims waiting fail) and closes the connections.
func (r *Redis) Close() error {
	r.closeOnce.Do(func() { close(r.closing) })
	<-r.senderEnd
	return r.client.Close()
}

// ClaimTick implements contract.Distributed.ClaimTick in one script call, shared with the claims made at
// the same moment. Besides invalid input and contract.ErrTickClosed, it returns an error when Redis cannot
// be reached, times out or answers with an error, or the backend is closed; the claim is not retried. It
// returns within about twice the call bound (dial + write + read timeouts).
func (r *Redis) ClaimTick(ctx context.Context, c contract.Claim) (string, error) {
	serviceName, appID, tick, holdTime := c.Service, c.AppID, c.Tick, c.HoldTime
	if err := validateClaim(serviceName, appID, tick, holdTime); err != nil {
		return "", err
	}
	return r.claim(serviceName, appID, strconv.FormatInt(tick.UnixMicro(), 10), holdTime)
}

// Select implements contract.Distributed.Select; the window is cut by Redis's clock.
func (r *Redis) Select(ctx context.Context, serviceName, appID string, holdTime time.Duration) (string, error) {
	if err := validateSelect(serviceName, appID, holdTime); err != nil {
		return "", err
	}
	return r.claim(serviceName, appID, "window", holdTime)
}

func (r *Redis) claim(serviceName, appID, tick string, holdTime time.Duration) (string, error) {
	request := &claimRequest{
		key: r.FenceKey(serviceName), tick: tick, appID: appID, holdMicros: max(holdTime.Microseconds(), 1),
		sendBy: time.Now().Add(r.timeout), reply: make(chan claimReply, 1),
	}
	select {
	case r.requests <- request:
	case <-r.closing:
		return "", fmt.Errorf("redis at %s: the backend is closed", r.address)
	}
	// the sender answers every request it takes: within sendBy plus one call (r.timeout), unsent after
	// sendBy, or at Close; a request queued as it returned is answered here
	var reply claimReply
	select {
	case reply = <-request.reply:
	case <-r.senderEnd:
		select {
		case reply = <-request.reply:
		default:
			reply = claimReply{err: errors.New("the backend was closed")}
		}
	}
	switch {
	case reply.err != nil:
		return "", fmt.Errorf("redis at %s: claim %s of service %q: %w", r.address, tick, serviceName, reply.err)
	case reply.code == 0, reply.code == 1:
		return reply.value, nil
	case reply.code == 2:
		return "", fmt.Errorf("%w: tick %s (µs) is older than the latest claimed tick %s (µs)", contract.ErrTickClosed, tick, reply.value)
	case reply.code == 3:
		return "", fmt.Errorf("%w: tick %s (µs) claimed at Redis time %s (µs), outside its claim window of ±%s", contract.ErrTickClosed, tick, reply.value, holdTime)
	}
	return "", fmt.Errorf("redis at %s: unknown claim reply code %d", r.address, reply.code)
}

// sendClaims is the sender goroutine: it takes the claims waiting, sends them in one call and answers
// each, until Close; then it fails the claims still waiting.
func (r *Redis) sendClaims() {
	defer close(r.senderEnd)
	batch := make([]*claimRequest, 0, maxClaimBatch)
	for {
		select {
		case first := <-r.requests:
			batch = append(batch[:0], first)
		case <-r.closing:
			for {
				select {
				case request := <-r.requests:
					request.reply <- claimReply{err: errors.New("the backend was closed")}
				default:
					return
				}
			}
		}
	gather:
		for len(batch) < maxClaimBatch {
			select {
			case request := <-r.requests:
				batch = append(batch, request)
			default:
				break gather
			}
		}
		r.send(batch)
	}
}

// send runs the claim script once for the claims of batch whose callers still wait.
func (r *Redis) send(batch []*claimRequest) {
	now := time.Now()
	keys := make([]string, 0, len(batch))
	args := make([]any, 0, 3*len(batch))
	live := batch[:0]
	for _, request := range batch {
		if now.After(request.sendBy) {
			request.reply <- claimReply{err: errors.New("not sent: it waited too long behind the previous call")}
			continue
		}
		live = append(live, request)
		keys = append(keys, request.key)
		args = append(args, request.tick, request.appID, request.holdMicros)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	reply, err := r.script.Run(ctx, r.client, keys, args...).Slice()
	if err == nil && len(reply) != 2*len(live) {
		err = fmt.Errorf("unexpected reply of %d values to %d claims", len(reply), len(live))
	}
	for i, request := range live {
		if err != nil {
			request.reply <- claimReply{err: err}
			continue
		}
		code, codeOK := reply[2*i].(int64)
		value, valueOK := reply[2*i+1].(string)
		if !codeOK || !valueOK {
			request.reply <- claimReply{err: fmt.Errorf("unexpected claim reply %v, %v", reply[2*i], reply[2*i+1])}
			continue
		}
		request.reply <- claimReply{code: code, value: value}
	}
}
