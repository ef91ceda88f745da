package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// Job control in Redis (contract.JobControl), under the backend's prefix and apart from the fences:
//   - <prefix>control:paused: the set of paused job names; it never expires;
//   - <prefix>control:request-records: the requests, a sorted set of members (control_record.go) scored by
//     when they were made (µs); the heartbeat script drops those made more than ControlRequestTTL ago by
//     Redis's clock, and the key expires ControlRequestTTL after the last AddRequest;
//   - <prefix>control:answer-records:<request id>: a request's answers, a list of values (control_record.go)
//     in the order stored, expiring ControlRequestTTL after the last answer;
//   - <prefix>control:taken:<request id>: the app id that took the request (TakeRequest), expiring after
//     ControlRequestTTL.
//
// Every heartbeat reads the paused jobs and the live requests in its one script call (heartbeat.lua), so
// the orders cost no command of their own. A requester whose clock is off by more than ControlRequestTTL
// from Redis's makes requests the processes never see (or see too long). The requests and answers of the
// framework's previous format (control:requests, control:answers:<id>) are not read; they expire by
// themselves within ControlRequestTTL.
func (r *redisBackend) pausedKey() string { return r.prefix + "control:paused" }

func (r *redisBackend) requestsKey() string { return r.prefix + "control:request-records" }

func (r *redisBackend) answersKey(id string) string { return r.prefix + "control:answer-records:" + id }

// SetPaused implements contract.JobControl.SetPaused in one command (SADD or SREM).
func (r *redisBackend) SetPaused(ctx context.Context, job string, paused bool) error {
	if job == "" {
		return fmt.Errorf("pause or resume of a job without a name (paused %v): the job name is required", paused)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	what, command := "pause", r.client.SAdd
	if !paused {
		what, command = "resume", r.client.SRem
	}
	if err := command(ctx, r.pausedKey(), job).Err(); err != nil {
		return r.callError(ctx, fmt.Sprintf("%s job %q", what, job), err)
	}
	return nil
}

// AddRequest implements contract.JobControl.AddRequest in one round trip (MULTI/EXEC: ZADD, EXPIRE).
// Adding the same request again stores it once. It returns an error for a missing ID, Made or body
// (rules.ValidateControlRequest).
func (r *redisBackend) AddRequest(ctx context.Context, request contract.ControlRequest) error {
	if err := rules.ValidateControlRequest(request); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	member, made, err := encodeRedisRequest(request)
	if err != nil {
		return fmt.Errorf("control request %q: %w", request.ID, err)
	}
	_, err = r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZAdd(ctx, r.requestsKey(), redis.Z{Score: float64(made), Member: member})
		pipe.Expire(ctx, r.requestsKey(), contract.ControlRequestTTL)
		return nil
	})
	if err != nil {
		return r.callError(ctx, fmt.Sprintf("add request %q", request.ID), err)
	}
	return nil
}

// Answer implements contract.JobControl.Answer in one round trip (MULTI/EXEC: RPUSH, EXPIRE). It returns
// an error for an empty id, app id or body (rules.ValidateControlAnswer).
func (r *redisBackend) Answer(ctx context.Context, id string, answer contract.ControlAnswer) error {
	if err := rules.ValidateControlAnswer(id, answer); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	value, err := encodeRedisAnswer(answer)
	if err != nil {
		return fmt.Errorf("answer of %s to request %q: %w", answer.AppID, id, err)
	}
	_, err = r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.RPush(ctx, r.answersKey(id), value)
		pipe.Expire(ctx, r.answersKey(id), contract.ControlRequestTTL)
		return nil
	})
	if err != nil {
		return r.callError(ctx, fmt.Sprintf("answer of %s to request %q", answer.AppID, id), err)
	}
	return nil
}

// Answers implements contract.JobControl.Answers in one command (LRANGE). It returns an error when id is
// empty or an answer stored is not valid.
func (r *redisBackend) Answers(ctx context.Context, id string) ([]contract.ControlAnswer, error) {
	if id == "" {
		return nil, errors.New("answers of a request without an id: the request id is required")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	values, err := r.client.LRange(ctx, r.answersKey(id), 0, -1).Result()
	if err != nil {
		return nil, r.callError(ctx, fmt.Sprintf("read the answers to request %q", id), err)
	}
	answers := make([]contract.ControlAnswer, 0, len(values))
	for _, value := range values {
		answer, err := decodeRedisAnswer(value)
		if err != nil {
			return nil, fmt.Errorf("redis at %s db %d: answer %q in %s is not valid: %w", r.address, r.db, value,
				r.answersKey(id), err)
		}
		answers = append(answers, answer)
	}
	return answers, nil
}

// decodeOrders decodes the heartbeat script's reply: {paused jobs, request members (oldest first)}.
func (r *redisBackend) decodeOrders(reply any) (contract.Orders, error) {
	parts, ok := reply.([]any)
	if !ok || len(parts) != 2 {
		return contract.Orders{}, fmt.Errorf("redis at %s db %d: the heartbeat script replied %v; want {paused, requests}",
			r.address, r.db, reply)
	}
	paused, err := replyStrings(parts[0])
	if err != nil {
		return contract.Orders{}, fmt.Errorf("redis at %s db %d: paused jobs of %s: %w", r.address, r.db, r.pausedKey(), err)
	}
	members, err := replyStrings(parts[1])
	if err != nil {
		return contract.Orders{}, fmt.Errorf("redis at %s db %d: requests of %s: %w", r.address, r.db, r.requestsKey(), err)
	}
	slices.Sort(paused)
	orders := contract.Orders{Paused: paused}
	for _, member := range members {
		request, err := decodeRedisRequest(member)
		if err != nil {
			return contract.Orders{}, fmt.Errorf("redis at %s db %d: request %q in %s is not valid: %w", r.address, r.db,
				member, r.requestsKey(), err)
		}
		orders.Requests = append(orders.Requests, request)
	}
	return orders, nil
}

// replyStrings returns value, a script's array of strings, as a slice (nil when empty).
func replyStrings(value any) ([]string, error) {
	items, ok := value.([]any)
	if !ok {
		return nil, fmt.Errorf("reply %v is not an array", value)
	}
	var texts []string
	for _, item := range items {
		text, ok := item.(string)
		if !ok {
			return nil, fmt.Errorf("reply item %v is not a string", item)
		}
		texts = append(texts, text)
	}
	return texts, nil
}

var _ contract.JobControl = (*redisBackend)(nil)

// takenKey is the key that names the process that took request id; it expires with the request.
func (r *redisBackend) takenKey(id string) string { return r.prefix + "control:taken:" + id }

// TakeRequest implements contract.JobControl.TakeRequest with one SET NX (the first writer wins), which
// expires after ControlRequestTTL.
func (r *redisBackend) TakeRequest(ctx context.Context, id, appID string) (bool, error) {
	if id == "" || appID == "" {
		return false, fmt.Errorf("take request %q for app %q: the request id and the app id are required", id, appID)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	taken, err := r.client.SetNX(ctx, r.takenKey(id), appID, contract.ControlRequestTTL).Result()
	if err != nil {
		return false, r.callError(ctx, fmt.Sprintf("take request %q", id), err)
	}
	return taken, nil
}

// Paused implements contract.JobControl.Paused with one SMEMBERS.
func (r *redisBackend) Paused(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	jobs, err := r.client.SMembers(ctx, r.pausedKey()).Result()
	if err != nil {
		return nil, r.callError(ctx, "read the paused jobs", err)
	}
	slices.Sort(jobs)
	return jobs, nil
}
