package distributed

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/internal/clock"
)

// send runs the claim script once for the claims of batch that can be sent, answers each, and returns
// those to send again.
func (r *Redis) send(batch []*claimRequest) (retries []*claimRequest) {
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
	for i, request := range live {
		switch {
		case err != nil && request.retry(err, clock.Now()):
			retries = append(retries, request)
		case err != nil:
			request.reply <- claimReply{err: request.lastError("")}
		default:
			request.reply <- decodeClaimReply(reply[2*i], reply[2*i+1])
		}
	}
	return retries
}

// prepare marks the claims of batch sent and returns those to send at now with the script's keys and
// arguments; it skips the claims their callers abandoned and answers those that cannot be sent.
func prepare(batch []*claimRequest, now time.Time) (live []*claimRequest, keys []string, args []any) {
	keys = make([]string, 0, len(batch))
	args = make([]any, 0, 6*len(batch))
	live = takeLive(batch, now)
	for _, request := range live {
		keys = append(keys, request.key)
		args = append(args, request.args[:]...)
	}
	return live, keys, args
}

func decodeClaimReply(code, value any) claimReply {
	number, ok := code.(int64)
	if !ok {
		return claimReply{err: fmt.Errorf("unexpected claim reply %v, %v", code, value)}
	}
	return claimReply{code: number, value: value}
}
