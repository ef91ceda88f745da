package redis

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// replyCode is the code the claim script answers an entry with (see claim.lua).
type replyCode int64

const (
	codeWon           replyCode = iota // the claim won the tick, or holds it and asked for the run lease
	codeHeld                           // the tick is held already
	codeOlder                          // the tick is older than the fence's
	codeOutsideWindow                  // Redis's now is outside the claim's window
	codeFailed                         // a Redis call of this entry failed; nothing was written for it
	codeConflict                       // another definition holds the fence
	codeReleased                       // a release entry: whether the lease was held (and released)
)

// scriptReply is the claim script's answer to one entry, decoded: its code and the fields of that code.
type scriptReply struct {
	code       replyCode
	holder     string            // codeWon: the claim's app id; codeHeld: the tick's holder; codeConflict: the winner
	text       string            // codeOlder: the fence's tick (µs); codeOutsideWindow: Redis's now (µs); codeFailed: the error
	previous   time.Time         // codeWon: contract.Claimed.Previous (zero: none)
	busy       contract.RunLease // codeWon: the run holding the run lease (Holder and Tick; zero: not busy)
	definition string            // codeConflict: the winner's definition
	liveUntil  time.Time         // codeConflict: the winner's LiveUntil
	released   bool              // codeReleased: the lease was held and is released
}

// decodeScriptReply decodes the script's reply to one entry, the pair code, value (see claim.lua). It
// returns an error naming the pair when it has not the shape of its code.
func decodeScriptReply(code, value any) (scriptReply, error) {
	number, _ := code.(int64)
	answer := scriptReply{code: replyCode(number)}
	text, isText := value.(string)
	fields, _ := value.([]any)
	ok := false
	switch _, isCode := code.(int64); {
	case !isCode:
	case answer.code == codeWon:
		ok = answer.decodeWon(fields)
	case answer.code == codeHeld:
		answer.holder, ok = text, isText
	case answer.code == codeOlder || answer.code == codeOutsideWindow || answer.code == codeFailed:
		answer.text, ok = text, isText
	case answer.code == codeConflict:
		ok = answer.decodeConflict(fields)
	case answer.code == codeReleased:
		held, isNumber := value.(int64)
		answer.released, ok = held == 1, isNumber
	}
	if !ok {
		return scriptReply{}, fmt.Errorf("unexpected claim reply %v, %v", code, value)
	}
	return answer, nil
}

// decodeWon reads the fields of a won claim, {app id, previous tick (µs) or "", busy holder or "", busy
// tick (µs) or ""}, and reports whether they have that shape.
func (a *scriptReply) decodeWon(fields []any) bool {
	if len(fields) != 4 {
		return false
	}
	holder, ok := fields[0].(string)
	busy, _ := fields[2].(string)
	a.holder, a.previous = holder, microsField(fields[1])
	if busy != "" {
		a.busy = contract.RunLease{Holder: busy, Tick: microsField(fields[3])}
	}
	return ok
}

// decodeConflict reads the fields of a definition conflict, {winner, definition, LiveUntil (µs)}, and
// reports whether they have that shape.
func (a *scriptReply) decodeConflict(fields []any) bool {
	if len(fields) != 3 {
		return false
	}
	winner, winnerOK := fields[0].(string)
	definition, definitionOK := fields[1].(string)
	live, _ := fields[2].(string)
	liveMicros, err := strconv.ParseInt(live, 10, 64)
	a.holder, a.definition, a.liveUntil = winner, definition, time.UnixMicro(liveMicros)
	return winnerOK && definitionOK && err == nil
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
