package distributed

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

func (r *Redis) newClaimRequest(ctx context.Context, c contract.Claim, window bool) *claimRequest {
	request := newRequest(ctx, c, window, r.FenceKey(c.Service), r.timeout)
	tick, live := strconv.FormatInt(c.Tick.UnixMicro(), 10), strconv.FormatInt(c.LiveUntil.UnixMicro(), 10)
	if window {
		tick, live = "window", "0"
	}
	request.args = [5]any{tick, c.AppID, max(c.HoldTime.Microseconds(), 1), c.Definition, live}
	return request
}

// claim queues c for the sender and returns its result.
func (r *Redis) claim(ctx context.Context, c contract.Claim, window bool) (contract.Claimed, error) {
	request := r.newClaimRequest(ctx, c, window)
	reply, err := r.submit(ctx, request, "redis at "+r.address)
	if err != nil {
		return contract.Claimed{}, err
	}
	holder, err := r.result(request, reply)
	if err != nil || reply.code != 0 {
		return contract.Claimed{Holder: holder}, err
	}
	return won(holder, reply.value), nil
}

// won is the answer to a claim the script reports won: {app id, previous tick in µs or ""}.
func won(holder string, value any) contract.Claimed {
	claimed := contract.Claimed{Holder: holder}
	if pair, ok := value.([]any); ok && len(pair) == 2 {
		if text, _ := pair[1].(string); text != "" {
			if micros, err := strconv.ParseInt(text, 10, 64); err == nil {
				claimed.Previous = time.UnixMicro(micros)
			}
		}
	}
	return claimed
}

// result turns the script's reply to request into the holder of the tick, or the error of the claim.
func (r *Redis) result(request *claimRequest, reply claimReply) (string, error) {
	c, tick := request.claim, request.args[0]
	if reply.err != nil {
		return "", fmt.Errorf("redis at %s: claim of tick %v (µs) of service %q: %w", r.address, tick, c.Service, reply.err)
	}
	value, _ := reply.value.(string)
	switch reply.code {
	case 0:
		if pair, ok := reply.value.([]any); ok && len(pair) == 2 {
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
		return "", fmt.Errorf("redis at %s: claim of tick %v (µs) of service %q: key %s: %s", r.address, tick, c.Service, request.key, value)
	case 5:
		if holder, ok := reply.value.([]any); ok && len(holder) == 3 {
			winner, _ := holder[0].(string)
			definition, _ := holder[1].(string)
			live, _ := holder[2].(string)
			liveMicros, err := strconv.ParseInt(live, 10, 64)
			if err == nil {
				return "", conflictError(c, winner, definition, time.UnixMicro(liveMicros))
			}
		}
	}
	return "", fmt.Errorf("redis at %s: unknown claim reply %d, %v", r.address, reply.code, reply.value)
}
