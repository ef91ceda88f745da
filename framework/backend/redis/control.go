package redis

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// Job control in Redis (contract.JobControl), under the backend's prefix and apart from the fences:
//   - <prefix>control:paused: the set of paused job names; it never expires;
//   - <prefix>control:pause-notes: the notes of the paused jobs, a hash of job name -> note, byte for
//     byte; it never expires. The set says which jobs are paused: a paused job without a field has no
//     note (every job paused before notes were kept), and a field of a job not in the set is not read
//     (left by a resume of a program from before notes, which only removes the job from the set);
//   - <prefix>control:request-records: the requests, a sorted set of members (control_record.go) scored by
//     when they were made (µs); the heartbeat script drops those made more than ControlRequestTTL ago by
//     Redis's clock, and the key expires ControlRequestTTL after the last AddRequest;
//   - <prefix>control:answer-records:<request id>: a request's answers, a list of values (control_record.go)
//     in the order stored, expiring ControlRequestTTL after the last answer;
//   - <prefix>control:taken:<request id>: the app id that took the request (TakeRequest), expiring after
//     ControlRequestTTL.
//
// Every heartbeat reads the paused jobs, their notes and the live requests in its one script call
// (heartbeat.lua), so the orders cost no command of their own. A requester whose clock is off by more than
// ControlRequestTTL from Redis's makes requests the processes never see (or see too long). The requests
// and answers of the framework's previous format (control:requests, control:answers:<id>) are not read;
// they expire by themselves within ControlRequestTTL.
func (r *redisBackend) pausedKey() string { return r.prefix + "control:paused" }

func (r *redisBackend) pauseNotesKey() string { return r.prefix + "control:pause-notes" }

func (r *redisBackend) requestsKey() string { return r.prefix + "control:request-records" }

func (r *redisBackend) answersKey(id string) string { return r.prefix + "control:answer-records:" + id }

// SetPaused implements contract.JobControl.SetPaused in one round trip (MULTI/EXEC): a pause is SADD of
// job and HSET of its note (replacing the note it had), a resume SREM and HDEL.
func (r *redisBackend) SetPaused(ctx context.Context, job string, paused bool, note string) error {
	if job == "" {
		return fmt.Errorf("pause or resume of a job without a name (paused %v): the job name is required", paused)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	what := "pause"
	if !paused {
		what = "resume"
	}
	_, err := r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if paused {
			pipe.SAdd(ctx, r.pausedKey(), job)
			pipe.HSet(ctx, r.pauseNotesKey(), job, note)
		} else {
			pipe.SRem(ctx, r.pausedKey(), job)
			pipe.HDel(ctx, r.pauseNotesKey(), job)
		}
		return nil
	})
	if err != nil {
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

// decodeOrders decodes the heartbeat script's reply: {paused jobs, their notes (HGETALL), request
// members (oldest first)}.
func (r *redisBackend) decodeOrders(reply any) (contract.Orders, error) {
	parts, ok := reply.([]any)
	if !ok || len(parts) != 3 {
		return contract.Orders{}, fmt.Errorf("redis at %s db %d: the heartbeat script replied %v; want {paused, "+
			"notes, requests}", r.address, r.db, reply)
	}
	paused, err := r.decodePaused(parts[0], parts[1])
	if err != nil {
		return contract.Orders{}, err
	}
	members, err := replyStrings(parts[2])
	if err != nil {
		return contract.Orders{}, fmt.Errorf("redis at %s db %d: requests of %s: %w", r.address, r.db, r.requestsKey(), err)
	}
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

// decodePaused decodes a script's reply of SMEMBERS of the paused set (members) and of HGETALL of the
// notes (a flat array of job, note, …): job -> note ("" when it has none), nil when none is paused.
func (r *redisBackend) decodePaused(members, notes any) (map[string]string, error) {
	jobs, err := replyStrings(members)
	if err != nil {
		return nil, fmt.Errorf("redis at %s db %d: paused jobs of %s: %w", r.address, r.db, r.pausedKey(), err)
	}
	fields, err := replyStrings(notes)
	if err == nil && len(fields)%2 != 0 {
		err = fmt.Errorf("reply of %d items is not pairs of job and note", len(fields))
	}
	if err != nil {
		return nil, fmt.Errorf("redis at %s db %d: pause notes of %s: %w", r.address, r.db, r.pauseNotesKey(), err)
	}
	noteOf := make(map[string]string, len(fields)/2)
	for i := 0; i < len(fields); i += 2 {
		noteOf[fields[i]] = fields[i+1]
	}
	return pausedNotes(jobs, noteOf), nil
}

// pausedNotes returns jobs, the paused jobs, each with its note in noteOf ("" when it has none): nil when
// jobs is empty. Notes of jobs not paused are left out.
func pausedNotes(jobs []string, noteOf map[string]string) map[string]string {
	if len(jobs) == 0 {
		return nil
	}
	paused := make(map[string]string, len(jobs))
	for _, job := range jobs {
		paused[job] = noteOf[job]
	}
	return paused
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

// Paused implements contract.JobControl.Paused in one round trip (MULTI/EXEC: SMEMBERS of the paused
// jobs, HGETALL of their notes): job -> note, nil when none is paused.
func (r *redisBackend) Paused(ctx context.Context) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var jobs *redis.StringSliceCmd
	var notes *redis.MapStringStringCmd
	_, err := r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		jobs = pipe.SMembers(ctx, r.pausedKey())
		notes = pipe.HGetAll(ctx, r.pauseNotesKey())
		return nil
	})
	if err != nil {
		return nil, r.callError(ctx, "read the paused jobs and their notes", err)
	}
	return pausedNotes(jobs.Val(), notes.Val()), nil
}
