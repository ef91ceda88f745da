package redis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// A run record is stored in Redis as one sorted-set member of its job's history key, scored by its tick
// (ms since the Unix epoch):
//
//	QQQQQQQQQQQQQQQQ LLLLLLLLLLLLL "outcome" body
//
// without the spaces: its place in the append order (redisSeqDigits zero-padded digits, from the append
// script's counter), so that the members of one tick sort in append order; the last tick as
// redisTickDigits digits of ms (zero for a zero time), which a "missed" record is selected by; the outcome
// as a JSON string, which a script compares as a prefix; then the body, byte for byte. The job is the
// key's. The append script writes the place (the Go side sends the rest, redisRunRest).
const (
	redisSeqDigits  = 16
	redisTickDigits = 13
)

// redisRun is a run record as read, with its place in the append order.
type redisRun struct {
	record contract.RunRecord
	seq    int64
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

// redisRunRest returns the member of record without its place (see redisSeqDigits): the last tick (ms,
// clamped to [0, 10^13), years 1970 to 2286), the outcome, the body.
func redisRunRest(record contract.RunRecord) (string, error) {
	outcome, err := redisOutcomeJSON(string(record.Outcome))
	if err != nil {
		return "", err
	}
	last := min(max(redisMillis(record.LastTick), 0), 9_999_999_999_999)
	return fmt.Sprintf("%0*d%s%s", redisTickDigits, last, outcome, record.Body), nil
}

// redisOutcomeJSON returns outcome as a JSON string: a record's outcome as stored, and what the read
// script compares it with. JSON strings are prefix-free, so a prefix match is an exact match.
func redisOutcomeJSON(outcome string) (string, error) {
	text, err := json.Marshal(outcome)
	return string(text), err
}

// decodeRedisRun is the inverse of the stored member of a record of job scored score (its tick, ms).
func decodeRedisRun(job, member, score string) (redisRun, error) {
	header := redisSeqDigits + redisTickDigits
	if len(member) < header {
		return redisRun{}, fmt.Errorf("run record %q of job %q is too short", member, job)
	}
	seq, err1 := strconv.ParseInt(member[:redisSeqDigits], 10, 64)
	lastTick, err2 := strconv.ParseInt(member[redisSeqDigits:header], 10, 64)
	tick, err3 := strconv.ParseFloat(score, 64)
	var outcome string
	decoder := json.NewDecoder(bytes.NewReader([]byte(member[header:])))
	err4 := decoder.Decode(&outcome)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return redisRun{}, fmt.Errorf("run record %q of job %q is not valid: %w", member, job, err)
		}
	}
	body := []byte(member[header+int(decoder.InputOffset()):])
	record := contract.RunRecord{Job: job, Tick: redisTime(int64(math.Round(tick))), LastTick: redisTime(lastTick),
		Outcome: contract.Outcome(outcome), Body: body}
	return redisRun{record: record, seq: seq}, nil
}
