package distributed

import (
	"context"
	"fmt"
	"time"
)

// sendClaims is the sender goroutine (group commit): it takes the claims waiting and the re-sends that
// are due, sends them in one call and answers each, until Close; then it fails the claims still waiting.
// A claim whose call failed is kept for a re-send after retryPause; the sender never sleeps on it.
func (r *Redis) sendClaims() {
	defer close(r.senderEnd)
	var retries []*claimRequest
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	batch := make([]*claimRequest, 0, maxClaimBatch)
	for {
		batch = batch[:0]
		var due <-chan time.Time
		if len(retries) > 0 {
			timer.Reset(time.Until(earliestRetry(retries)))
			due = timer.C
		}
		select {
		case first := <-r.requests:
			batch = append(batch, first)
		case <-due:
		case <-r.closing:
			r.failOnClose(retries)
			return
		}
		batch, retries = takeDueRetries(batch, retries, time.Now())
	gather:
		for len(batch) < maxClaimBatch {
			select {
			case request := <-r.requests:
				batch = append(batch, request)
			default:
				break gather
			}
		}
		retries = append(retries, r.send(batch)...)
	}
}

// failOnClose answers the re-sends pending and the claims waiting in line: the backend is closed.
func (r *Redis) failOnClose(retries []*claimRequest) {
	for _, request := range retries {
		request.reply <- claimReply{err: request.lastError(errBackendClosed.Error())}
	}
	for {
		select {
		case request := <-r.requests:
			request.reply <- claimReply{err: errBackendClosed}
		default:
			return
		}
	}
}

func earliestRetry(retries []*claimRequest) time.Time {
	earliest := retries[0].retryAt
	for _, request := range retries[1:] {
		if request.retryAt.Before(earliest) {
			earliest = request.retryAt
		}
	}
	return earliest
}

// takeDueRetries moves the re-sends due at now from retries to batch, as room allows.
func takeDueRetries(batch, retries []*claimRequest, now time.Time) ([]*claimRequest, []*claimRequest) {
	kept := retries[:0]
	for _, request := range retries {
		if len(batch) < maxClaimBatch && !request.retryAt.After(now) {
			batch = append(batch, request)
		} else {
			kept = append(kept, request)
		}
	}
	clear(retries[len(kept):])
	return batch, kept
}

// send runs the claim script once for the claims of batch that can be sent, answers each, and returns
// those to send again.
func (r *Redis) send(batch []*claimRequest) (retries []*claimRequest) {
	live, keys, args := prepare(batch, time.Now())
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
		case err != nil && request.retry(err, time.Now()):
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
	args = make([]any, 0, 5*len(batch))
	live = batch[:0]
	for _, request := range batch {
		if request.sends == 0 && !request.state.CompareAndSwap(stateWaiting, stateSent) {
			continue // abandoned by its caller while in line
		}
		if err := request.unsendable(now); err != nil {
			request.reply <- claimReply{err: err}
			continue
		}
		request.sends++
		live = append(live, request)
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
