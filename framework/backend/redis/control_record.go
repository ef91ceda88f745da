package redis

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// A control request is stored in Redis as one member of the requests' sorted set, scored by its Made (µs
// since the Unix epoch, which a double holds exactly), and an answer as one value of its request's
// answers list: a JSON header line, then the body, byte for byte:
//
//	{"i":"<id>","m":<made, µs>}\n<body>     a request
//	{"a":"<app id>"}\n<body>                an answer
//
// The header's JSON escapes every newline of the ID and the app id, so the first newline ends it.

// redisRequestHeader is the header of a request's member.
type redisRequestHeader struct {
	ID   string `json:"i"`
	Made int64  `json:"m"` // µs since the Unix epoch
}

// redisAnswerHeader is the header of an answer's value.
type redisAnswerHeader struct {
	AppID string `json:"a"`
}

// redisControlValue returns header as JSON, a newline, then body.
func redisControlValue(header any, body []byte) ([]byte, error) {
	line, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	return append(append(line, '\n'), body...), nil
}

// splitRedisControlValue is the inverse of redisControlValue: it decodes value's header into header and
// returns the body (a copy, apart from value).
func splitRedisControlValue(value string, header any) ([]byte, error) {
	line, body, found := bytes.Cut([]byte(value), []byte("\n"))
	if !found {
		return nil, errors.New("no header line")
	}
	if err := json.Unmarshal(line, header); err != nil {
		return nil, err
	}
	return body, nil
}

// encodeRedisRequest returns request's member of the requests' sorted set and its score.
func encodeRedisRequest(request contract.ControlRequest) (member []byte, score int64, err error) {
	score = request.Made.UnixMicro()
	member, err = redisControlValue(redisRequestHeader{ID: request.ID, Made: score}, request.Body)
	return member, score, err
}

// decodeRedisRequest is the inverse of encodeRedisRequest.
func decodeRedisRequest(member string) (contract.ControlRequest, error) {
	var header redisRequestHeader
	body, err := splitRedisControlValue(member, &header)
	if err != nil {
		return contract.ControlRequest{}, err
	}
	return contract.ControlRequest{ID: header.ID, Made: time.UnixMicro(header.Made), Body: body}, nil
}

// encodeRedisAnswer returns answer's value in its request's answers list.
func encodeRedisAnswer(answer contract.ControlAnswer) ([]byte, error) {
	return redisControlValue(redisAnswerHeader{AppID: answer.AppID}, answer.Body)
}

// decodeRedisAnswer is the inverse of encodeRedisAnswer.
func decodeRedisAnswer(value string) (contract.ControlAnswer, error) {
	var header redisAnswerHeader
	body, err := splitRedisControlValue(value, &header)
	if err != nil {
		return contract.ControlAnswer{}, err
	}
	return contract.ControlAnswer{AppID: header.AppID, Body: body}, nil
}
