package redis

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// A run record is stored in Redis as one sorted-set member of its job's history key, scored by its tick
// (ms since the Unix epoch):
//
//	SSSSSSSSSSSSS LLLLLLLLLLLLL "outcome" {"t":tick,…}
//
// without the spaces: the start and the last tick as 13 zero-padded digits of ms (zero for a zero time),
// so members of one tick sort by start; the outcome as a JSON string, which a script compares as a prefix;
// then the other fields as a JSON object with one-letter keys (redisRunBody). The job is the key's.
const redisRunDigits = 13

// redisRunBody is the JSON part of a stored run record: times in ms, relative to the start; fields that
// most records share are left out (Service equal to the job, Type "distributed", Attempt and Count 1).
type redisRunBody struct {
	Tick     int64   `json:"t,omitempty"` // Tick-Started, ms
	Type     *string `json:"y,omitempty"` // nil: "distributed"
	Service  *string `json:"s,omitempty"` // nil: the job's name (a distributed entry's service is its job)
	AppID    string  `json:"a,omitempty"`
	Hostname string  `json:"h,omitempty"`
	PID      int     `json:"p,omitempty"`
	Duration int64   `json:"d,omitempty"` // Finished-Started, ms
	Late     int64   `json:"l,omitempty"` // ms
	Error    string  `json:"e,omitempty"`
	Attempt  int     `json:"n,omitempty"` // Attempt-1
	Count    int     `json:"c,omitempty"` // Count-1
}

// redisMillis returns t in ms since the Unix epoch, 0 for the zero time.
func redisMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// redisTime is the inverse of redisMillis.
func redisTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// redisSortKey returns t's ms (redisMillis) clamped to [0, 10^13), years 1970 to 2286, and as 13 digits.
func redisSortKey(t time.Time) (int64, string) {
	ms := min(max(redisMillis(t), 0), 9_999_999_999_999)
	return ms, fmt.Sprintf("%0*d", redisRunDigits, ms)
}

// encodeRedisRun returns record as stored (see redisRunDigits); an Error longer than
// contract.MaxRunErrorLength is cut.
func encodeRedisRun(record contract.RunRecord) (string, error) {
	started, startKey := redisSortKey(record.Started)
	_, lastKey := redisSortKey(record.LastTick)
	body := redisRunBody{
		Tick: redisMillis(record.Tick) - started, AppID: record.AppID, Hostname: record.Hostname, PID: record.PID,
		Duration: redisMillis(record.Finished) - started, Late: record.Late.Milliseconds(),
		Error: rules.CutRunError(record.Error), Attempt: record.Attempt - 1, Count: record.Count - 1,
	}
	if record.Type != "distributed" {
		body.Type = &record.Type
	}
	if record.Service != record.Job {
		body.Service = &record.Service
	}
	outcome, err := redisOutcomeJSON(string(record.Outcome))
	if err != nil {
		return "", err
	}
	rest, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	return startKey + lastKey + outcome + string(rest), nil
}

// redisOutcomeJSON returns outcome as a JSON string: a record's outcome as stored, and what the read
// script compares it with. JSON strings are prefix-free, so a prefix match is an exact match.
func redisOutcomeJSON(outcome string) (string, error) {
	text, err := json.Marshal(outcome)
	return string(text), err
}

// decodeRedisRun is the inverse of encodeRedisRun for a record of job.
func decodeRedisRun(job, member string) (contract.RunRecord, error) {
	if len(member) < 2*redisRunDigits {
		return contract.RunRecord{}, fmt.Errorf("run record %q of job %q is too short", member, job)
	}
	started, err1 := strconv.ParseInt(member[:redisRunDigits], 10, 64)
	lastTick, err2 := strconv.ParseInt(member[redisRunDigits:2*redisRunDigits], 10, 64)
	var outcome string
	var body redisRunBody
	decoder := json.NewDecoder(strings.NewReader(member[2*redisRunDigits:]))
	err3, err4 := decoder.Decode(&outcome), decoder.Decode(&body)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return contract.RunRecord{}, fmt.Errorf("run record %q of job %q is not valid: %w", member, job, err)
		}
	}
	record := contract.RunRecord{
		Job: job, Type: "distributed", Service: job, Tick: redisTime(started + body.Tick), AppID: body.AppID,
		Hostname: body.Hostname, PID: body.PID, Outcome: contract.Outcome(outcome), Started: redisTime(started),
		Finished: redisTime(started + body.Duration), Late: time.Duration(body.Late) * time.Millisecond,
		Error: body.Error, Attempt: body.Attempt + 1, Count: body.Count + 1, LastTick: redisTime(lastTick),
	}
	if body.Type != nil {
		record.Type = *body.Type
	}
	if body.Service != nil {
		record.Service = *body.Service
	}
	return record, nil
}
