package redis

import (
	"context"
	_ "embed" // the heartbeat script
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hadeframe/hade/framework/contract"
)

// The process registry in Redis (contract.ProcessRegistry), under the backend's prefix:
//   - <prefix>process-record:<app id>: the process's record, its body, expiring ttl after its last heartbeat;
//   - <prefix>process-records: the index, a sorted set of app ids scored by their record's expiry (ms,
//     Redis's clock), pruned at every heartbeat; a record is live while its key exists.
//
// The keys of the framework's previous record format (process:<app id>, processes) are not read; they
// expire by themselves.
var (
	//go:embed heartbeat.lua
	heartbeatSource string
	heartbeatScript = redis.NewScript(heartbeatSource)
)

func (r *redisBackend) processKey(appID string) string { return r.prefix + "process-record:" + appID }

func (r *redisBackend) processesKey() string { return r.prefix + "process-records" }

// Heartbeat implements contract.ProcessRegistry.Heartbeat in one script call (EVALSHA; EVAL once after
// Redis restarts) that writes the record and reads the orders (control.go).
func (r *redisBackend) Heartbeat(ctx context.Context, record contract.ProcessRecord, ttl time.Duration) (contract.Orders, error) {
	if record.AppID == "" {
		return contract.Orders{}, errors.New("heartbeat of a process record without an app id: the app id is the record's key")
	}
	if ttl < time.Second {
		return contract.Orders{}, fmt.Errorf("heartbeat of process %q with ttl %s: the ttl must be at least 1s", record.AppID, ttl)
	}
	if err := ctx.Err(); err != nil {
		return contract.Orders{}, err
	}
	keys := []string{r.processesKey(), r.processKey(record.AppID), r.pausedKey(), r.requestsKey(),
		r.pauseNotesKey()}
	reply, err := heartbeatScript.Run(ctx, r.client, keys, record.AppID, record.Body, ttl.Milliseconds(),
		contract.ControlRequestTTL.Microseconds()).Result()
	if err != nil {
		return contract.Orders{}, r.callError(ctx, fmt.Sprintf("heartbeat of process %q", record.AppID), err)
	}
	return r.decodeOrders(reply)
}

// Processes implements contract.ProcessRegistry.Processes in two round trips: the index, then the records
// (MGET); a record that expired since the last heartbeat pruned the index is left out.
func (r *redisBackend) Processes(ctx context.Context) ([]contract.ProcessRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids, err := r.client.ZRange(ctx, r.processesKey(), 0, -1).Result()
	if err != nil {
		return nil, r.callError(ctx, "read the process index", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = r.processKey(id)
	}
	values, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, r.callError(ctx, "read the process records", err)
	}
	return processRecords(ids, values), nil
}

// processRecords returns the records of ids whose values MGET read (nil: expired), in the order of ids.
func processRecords(ids []string, values []any) []contract.ProcessRecord {
	records := make([]contract.ProcessRecord, 0, len(values))
	for i, value := range values {
		if body, ok := value.(string); ok {
			records = append(records, contract.ProcessRecord{AppID: ids[i], Body: []byte(body)})
		}
	}
	return records
}

// Deregister implements contract.ProcessRegistry.Deregister in one round trip (MULTI/EXEC).
func (r *redisBackend) Deregister(ctx context.Context, appID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := r.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Del(ctx, r.processKey(appID))
		pipe.ZRem(ctx, r.processesKey(), appID)
		return nil
	})
	if err != nil {
		return r.callError(ctx, fmt.Sprintf("deregister process %q", appID), err)
	}
	return nil
}
