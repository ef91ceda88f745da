package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

func (r *redisBackend) newClaimRequest(ctx context.Context, c contract.Claim) *claimqueue.Request {
	request := claimqueue.NewRequest(ctx, c, true, r.FenceKey(c.Service), r.timeout)
	tick, live := strconv.FormatInt(c.Tick.UnixMicro(), 10), strconv.FormatInt(c.LiveUntil.UnixMicro(), 10)
	request.Args = [6]any{tick, c.AppID, max(c.HoldTime.Microseconds(), 1), c.Definition, live, c.RunLease.Microseconds()}
	return request
}

// claim queues c for the sender and returns its result.
func (r *redisBackend) claim(ctx context.Context, c contract.Claim) (contract.Claimed, error) {
	// the fence keeps µs: a claim compares equal to what it wrote, and Busy names its tick exactly
	c.Tick, c.LiveUntil = time.UnixMicro(c.Tick.UnixMicro()), time.UnixMicro(c.LiveUntil.UnixMicro())
	request := r.newClaimRequest(ctx, c)
	reply, err := r.queue.Submit(ctx, request, "redis at "+r.address)
	if err != nil {
		return contract.Claimed{}, err
	}
	holder, err := r.result(request, reply)
	if err != nil || reply.Code != 0 {
		return contract.Claimed{Holder: holder}, err
	}
	return won(c.Service, holder, reply.Value), nil
}

// won is the answer to a claim of service the script reports won: {app id, previous tick in µs or "",
// busy holder or "", busy tick in µs or ""}.
func won(service, holder string, value any) contract.Claimed {
	claimed := contract.Claimed{Holder: holder}
	fields, _ := value.([]any)
	if len(fields) != 4 {
		return claimed
	}
	claimed.Previous = microsField(fields[1])
	if busy, _ := fields[2].(string); busy != "" {
		claimed.Busy = contract.RunLease{Service: service, Holder: busy, Tick: microsField(fields[3])}
	}
	return claimed
}

// microsField reads a time in µs since the epoch from a script's reply; "" or "0" is the zero time.
func microsField(field any) time.Time {
	text, _ := field.(string)
	micros, err := strconv.ParseInt(text, 10, 64)
	if err != nil || micros == 0 {
		return time.Time{}
	}
	return time.UnixMicro(micros)
}

// result turns the script's reply to request into the holder of the tick, or the error of the claim.
func (r *redisBackend) result(request *claimqueue.Request, reply claimqueue.Reply) (string, error) {
	c, tick := request.Claim, request.Args[0]
	if reply.Err != nil {
		return "", fmt.Errorf("redis at %s: claim of tick %v (µs) of service %q: %w", r.address, tick, c.Service, reply.Err)
	}
	value, _ := reply.Value.(string)
	switch reply.Code {
	case 0:
		if pair, ok := reply.Value.([]any); ok && len(pair) == 4 {
			if holder, ok := pair[0].(string); ok {
				return holder, nil
			}
		}
	case 1:
		return value, nil
	case 2:
		return "", fmt.Errorf("%w: tick %v (µs) is older than the latest claimed tick %s (µs)", contract.ErrTickClosed, tick, value)
	case 3:
		return "", fmt.Errorf("%w: tick %v (µs) claimed at Redis time %s (µs), outside its claim window of ±%s", contract.ErrTickClosed, tick, value, c.HoldTime)
	case 4:
		return "", fmt.Errorf("redis at %s: claim of tick %v (µs) of service %q: key %s: %s", r.address, tick, c.Service, request.Key, value)
	case 5:
		if holder, ok := reply.Value.([]any); ok && len(holder) == 3 {
			winner, _ := holder[0].(string)
			definition, _ := holder[1].(string)
			live, _ := holder[2].(string)
			liveMicros, err := strconv.ParseInt(live, 10, 64)
			if err == nil {
				return "", rules.ConflictError(c, winner, definition, time.UnixMicro(liveMicros))
			}
		}
	}
	return "", fmt.Errorf("redis at %s: unknown claim reply %d, %v", r.address, reply.Code, reply.Value)
}
