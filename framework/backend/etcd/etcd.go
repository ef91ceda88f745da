package etcd

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/hadeframe/hade/framework/backend"
	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// etcdBackend implements contract.Backend for processes on any number of hosts that share one etcd cluster
// (members of version 3.4 or later). A service's fence is three keys under <prefix>distributed/<service>/:
// tick (the tick, fixed-width, and its winner), definition and live (LiveUntil); they never expire (no
// lease). A claim is decided by the cluster in one transaction that compares these keys and writes them
// only when the rule of fence.claim lets the claim win, so a tick is won at most once however claims
// interleave, and a claim acknowledged by the cluster survives the loss of any minority of members. A claim
// asking for the run lease (Claim.RunLease) decides it in the same transaction: the run lease is two more
// keys, run and run-until (etcd_run_lease.go).
//
// Claims made at the same time are sent together (group commit, as Redis), and with them the releases of
// run leases made meanwhile: the claims and releases waiting form one Txn request of nested transactions
// (batch.go), split into requests within etcd's --max-txn-ops (128 by default, bounding the operations of
// each level of a transaction) and request size; the requests of one batch go out at once.
//
// # Clocks
//
// etcd has no clock a transaction can read: the hold window [Tick-HoldTime, Tick+HoldTime] and the
// definition's LiveUntil are checked against the claiming process's clock, the one it fires by. Clock
// skew between hosts therefore decides who claims first, never how often a tick is won (the fence compare
// reads no clock): a host whose clock is ahead by s fires s early in real time and wins the ticks it
// claims before the others (the job runs up to s early); a host behind by s gets the winner of the tick,
// or ErrTickClosed once a later tick was claimed, and runs a tick late by s only when no other host
// claimed it first; a tick is skipped when the hosts that claim it are all behind a later tick another
// host has claimed already (e.g. the host ahead failed to claim it); a host ahead also sees another
// definition's LiveUntil pass s early. No skew lets a tick be won twice. Keep clocks within a fraction of
// the interval (NTP) so runs stay on time.
type etcdBackend struct {
	queue     *claimqueue.Queue[etcdEntry, etcdAnswer] // claims and releases
	conn      *etcdConnection
	endpoints string // as configured, for messages
	prefix    string
	setting   string
	timeout   time.Duration // bound of one request
	dial      time.Duration
	now       func() time.Time        // the local clock; tests offset it
	lastError *atomic.Pointer[string] // the client's latest failed attempt, see retryFailed
	outage    *claimqueue.Outage      // logs the start and end of an outage

	retention     backend.Retention // of the run history; zero fields: the defaults of backend.Retention.WithDefaults
	client        string            // names this backend in the keys of the records it appends (random)
	historyMu     sync.Mutex
	historyJobsOf map[string]*etcdHistoryJob // what this backend knows of each job it appended to
	lastPlace     int64                      // the last place in the append order it gave (appendStamps)

	leasesMu sync.Mutex
	leases   map[string]etcdLease // the lease of each process record this backend heartbeats, by app id

	marks etcdMarkLeases // the shared leases of the run marks it put (run_mark.go)
}

// newEtcd returns an etcd backend for config; it starts the goroutine that sends claims, which Close stops.
// It makes the client, which with a user authenticates, within the dial timeout; when the cluster does not
// answer, the client is made again at the next request (see Ping), so a backend made while the cluster is
// down claims once it answers. It returns an error naming the setting to fix when an endpoint is
// malformed, TLS is set for http:// endpoints, or the cluster refuses the user or password; never the
// password.
func newEtcd(config Config) (*etcdBackend, error) {
	endpoints, https, err := parseEtcdEndpoints(config.Client.Endpoints, endpointsSetting)
	if err != nil {
		return nil, err
	}
	client := config.Client
	client.Endpoints = endpoints
	if client.TLS, err = etcdTLS(config.Client.TLS, endpoints, https); err != nil {
		return nil, err
	}
	config.RequestTimeout = cmp.Or(config.RequestTimeout, defaultRequestTimeout)
	config.Logger = cmp.Or(config.Logger, slog.Default())
	lastError := &atomic.Pointer[string]{}
	clientDefaults(&client, newZapLogger(config.Logger, lastError))
	conn := &etcdConnection{user: client.Username, config: client}
	if _, err := conn.get(); err != nil && !etcdRetryable(err) {
		return nil, fmt.Errorf("etcd at %s (%s): %w", strings.Join(endpoints, ","), endpointsSetting, err)
	}
	e := &etcdBackend{conn: conn, endpoints: strings.Join(endpoints, ","), prefix: config.Prefix,
		setting: endpointsSetting, timeout: config.RequestTimeout, dial: client.DialTimeout, now: clock.Now,
		lastError: lastError, client: rand.Text()[:16]}
	e.outage = &claimqueue.Outage{Logger: config.Logger, Backend: "etcd", Where: []any{"endpoints", e.endpoints}}
	e.queue = claimqueue.New(etcdBatch, e.send)
	return e, nil
}

// clientDefaults sets client's Logger to logger, and its DialTimeout (defaultDialTimeout), keep-alive
// and MaxUnaryRetries (1: the claim path re-sends by itself, within the hold window) when they are zero.
// The keep-alive is the dial timeout, but gRPC pings at most every 10 s: a member killed on a live host
// has its connections reset at once and the client's round-robin balancer leaves it, while one that stops
// answering with its connections open (SIGSTOP, a host or network gone silent) keeps getting a third of
// the requests, each failing at the request timeout, until a ping goes unanswered: about 12 s.
func clientDefaults(client *clientv3.Config, logger *zap.Logger) {
	client.Logger, client.LogConfig = logger, nil
	client.DialTimeout = cmp.Or(client.DialTimeout, defaultDialTimeout)
	client.DialKeepAliveTime = cmp.Or(client.DialKeepAliveTime, client.DialTimeout)
	client.DialKeepAliveTimeout = cmp.Or(client.DialKeepAliveTimeout, client.DialTimeout)
	client.MaxUnaryRetries = cmp.Or(client.MaxUnaryRetries, 1)
}

// fenceKeys returns the keys of serviceName's fence: tick (tick and winner), definition and live.
func (e *etcdBackend) fenceKeys(serviceName string) (tick, definition, live string) {
	base := e.prefix + "distributed/" + serviceName + "/"
	return base + "tick", base + "definition", base + "live"
}

// Ping checks that the cluster answers a read with a leader and accepts the credentials, within the dial
// timeout; the error names etcd, its endpoints and the setting.
func (e *etcdBackend) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(ctx), e.dial)
	defer cancel()
	tick, _, _ := e.fenceKeys("ping")
	client, err := e.conn.get()
	if err == nil {
		_, err = client.Get(ctx, tick)
	}
	if err != nil {
		return fmt.Errorf("etcd at %s (%s) does not answer: %w%s", e.endpoints, e.setting, err, e.connectionError(err))
	}
	return nil
}

// connectionError returns "; last connection error: …" when err is a deadline and the client's latest
// failed attempt says why (a refused connection, a certificate problem), else "".
func (e *etcdBackend) connectionError(err error) string {
	last := e.lastError.Load()
	if !errors.Is(err, context.DeadlineExceeded) || last == nil {
		return ""
	}
	return "; last connection error: " + *last
}

// Describe says where the backend is and whether the cluster answers now, for `cron state` and `cron list`.
func (e *etcdBackend) Describe(ctx context.Context) string {
	started := time.Now()
	if err := e.Ping(ctx); err != nil {
		return fmt.Sprintf("etcd at %s, key prefix %q: NOT ANSWERING: %v", e.endpoints, e.prefix, err)
	}
	return fmt.Sprintf("etcd at %s, key prefix %q: answers (read %s)", e.endpoints, e.prefix, time.Since(started).Round(time.Microsecond))
}

// Close stops sending claims and releases (those waiting fail), revokes the leases of the process records it
// heartbeats (the records go at once) and closes the connections.
func (e *etcdBackend) Close() error {
	e.queue.Close()
	revoked := e.revokeLeases()
	return errors.Join(revoked, e.conn.close())
}

// ClaimTick implements contract.Distributed.ClaimTick in one transaction, shared with the claims made at
// the same moment; a zero claim.LiveUntil counts as claim.Tick+claim.HoldTime. Besides invalid input,
// contract.ErrTickClosed and contract.ErrDefinitionConflict, it returns:
//   - ctx's error when ctx ends while the claim waits in line, before it is sent;
//   - an error naming etcd and its endpoints when the request failed (no quorum, no leader, a timeout, a
//     lost reply) and re-sending it, every 75ms with the same tick and app id, did not get an answer before
//     claim.Tick+claim.HoldTime, or one call bound before the job's next tick (local clock), or before ctx ended. A re-sent claim that had been applied
//     returns claim.AppID. Authentication and permission errors are not re-sent.
//
// Once sent, a claim is answered whatever ctx does, so a won tick is never reported as lost.
func (e *etcdBackend) ClaimTick(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	c, err := rules.ValidateClaim(c)
	if err != nil {
		return contract.Claimed{}, err
	}
	return e.claim(ctx, c)
}

// claim queues c for the sender and returns its result. The fence keeps times in µs: c's times are cut to
// µs first, so a claim compares equal to the fence it wrote.
func (e *etcdBackend) claim(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	c.Tick, c.LiveUntil = time.UnixMicro(c.Tick.UnixMicro()), time.UnixMicro(c.LiveUntil.UnixMicro())
	tick, _, _ := e.fenceKeys(c.Service)
	reply, err := e.queue.Submit(ctx, newClaimRequest(ctx, c, tick, e.timeout), "etcd at "+e.endpoints)
	if err != nil {
		return contract.Claimed{}, err
	}
	if reply.Err != nil {
		return contract.Claimed{}, fmt.Errorf("etcd at %s: claim of tick %s of service %q: %w", e.endpoints, rules.FormatTime(c.Tick), c.Service, reply.Err)
	}
	return reply.Value.claimed, reply.Value.err
}
