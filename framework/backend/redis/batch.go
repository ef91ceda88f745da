package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// entryKind is what an entry of a claim script call does.
type entryKind int

const (
	claimEntry   entryKind = iota // claims a tick (scriptEntry.claim)
	releaseEntry                  // releases a run lease (scriptEntry.lease)
)

// scriptEntry is one entry of a claim script call (claim.lua): a claim, or the release of a run lease,
// batched with the claims of the moment.
type scriptEntry struct {
	kind  entryKind
	claim contract.Claim    // claimEntry: its times in µs
	lease contract.RunLease // releaseEntry
}

// scriptRequest is an entry on its way through the backend's queue, answered by the claim script.
type scriptRequest = claimqueue.Request[scriptEntry, scriptReply]

// appendArgs appends the six ARGV values of e to args (see claim.lua): a claim's tick (µs), app id, hold
// time (µs, at least 1), definition, LiveUntil (µs) and run lease ttl (µs, 0: none); or "release", the
// lease's holder and its tick (µs), then "", "0" and 0.
func (e scriptEntry) appendArgs(args []any) []any {
	if e.kind == releaseEntry {
		return append(args, "release", e.lease.Holder, formatMicros(e.lease.Tick), "", "0", 0)
	}
	c := e.claim
	return append(args, formatMicros(c.Tick), c.AppID, max(c.HoldTime.Microseconds(), 1), c.Definition,
		formatMicros(c.LiveUntil), c.RunLease.Microseconds())
}

// formatMicros writes t in µs since the Unix epoch, in decimal.
func formatMicros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// send runs the claim script once for the entries of batch that can be sent, answers each, and returns
// those to send again.
func (r *redisBackend) send(batch []*scriptRequest) (retries []*scriptRequest) {
	live, keys, args := prepare(batch, clock.Now())
	if len(live) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	reply, err := r.script.Run(ctx, r.client, keys, args...).Slice()
	if err == nil && len(reply) != 2*len(live) {
		err = fmt.Errorf("unexpected reply of %d values to %d claims", len(reply), len(live))
	}
	r.outage.Note(err)
	return claimqueue.AnswerAll(live, err, func(i int) (scriptReply, error) {
		return decodeScriptReply(reply[2*i], reply[2*i+1])
	})
}

// prepare marks the entries of batch sent and returns those to send at now with the script's keys and
// arguments; it skips the entries their callers abandoned and fails those that cannot be sent.
func prepare(batch []*scriptRequest, now time.Time) (live []*scriptRequest, keys []string, args []any) {
	keys = make([]string, 0, len(batch))
	args = make([]any, 0, 6*len(batch))
	live = claimqueue.TakeLive(batch, now)
	for _, request := range live {
		keys = append(keys, request.Key)
		args = request.Payload.appendArgs(args)
	}
	return live, keys, args
}
