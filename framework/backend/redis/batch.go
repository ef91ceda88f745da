package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// send runs the claim script once for the claims of batch that can be sent, answers each, and returns
// those to send again.
func (r *redisBackend) send(batch []*claimqueue.Request) (retries []*claimqueue.Request) {
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
		case err != nil && request.Retry(err, clock.Now()):
			retries = append(retries, request)
		case err != nil:
			request.Answer(claimqueue.Reply{Err: request.LastError("")})
		default:
			request.Answer(decodeClaimReply(reply[2*i], reply[2*i+1]))
		}
	}
	return retries
}

// prepare marks the claims of batch sent and returns those to send at now with the script's keys and
// arguments; it skips the claims their callers abandoned and answers those that cannot be sent.
func prepare(batch []*claimqueue.Request, now time.Time) (live []*claimqueue.Request, keys []string, args []any) {
	keys = make([]string, 0, len(batch))
	args = make([]any, 0, 6*len(batch))
	live = claimqueue.TakeLive(batch, now)
	for _, request := range live {
		keys = append(keys, request.Key)
		args = append(args, request.Args[:]...)
	}
	return live, keys, args
}

func decodeClaimReply(code, value any) claimqueue.Reply {
	number, ok := code.(int64)
	if !ok {
		return claimqueue.Reply{Err: fmt.Errorf("unexpected claim reply %v, %v", code, value)}
	}
	return claimqueue.Reply{Code: number, Value: value}
}
