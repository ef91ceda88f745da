package order

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// answerBody is an Answer as encoded, but for its AppID.
type answerBody struct {
	Outcome string `json:"o"`
	Detail  string `json:"d,omitempty"`
	At      int64  `json:"t,omitempty"` // µs
}

// errNotAnAnswer is the error of a body that is not an answer: not a JSON object, or without an outcome.
var errNotAnAnswer = errors.New("not a control answer")

// EncodeAnswer returns answer as a backend stores it: its AppID and the rest as a body, At to the µs. It
// returns answer.Validate's error.
func EncodeAnswer(answer Answer) (contract.ControlAnswer, error) {
	if err := answer.Validate(); err != nil {
		return contract.ControlAnswer{}, err
	}
	b := answerBody{Outcome: string(answer.Outcome), Detail: answer.Detail}
	if !answer.At.IsZero() {
		b.At = answer.At.UnixMicro()
	}
	body, err := json.Marshal(b)
	if err != nil {
		return contract.ControlAnswer{}, err
	}
	return contract.ControlAnswer{AppID: answer.AppID, Body: body}, nil
}

// DecodeAnswer is the inverse of EncodeAnswer: the answer stored holds, At in UTC. It returns an error
// when stored's body is not an answer.
func DecodeAnswer(stored contract.ControlAnswer) (Answer, error) {
	var b answerBody
	if err := json.Unmarshal(stored.Body, &b); err != nil {
		return Answer{}, err
	}
	if b.Outcome == "" {
		return Answer{}, errNotAnAnswer
	}
	answer := Answer{AppID: stored.AppID, Outcome: contract.Outcome(b.Outcome), Detail: b.Detail}
	if b.At != 0 {
		answer.At = time.UnixMicro(b.At).UTC()
	}
	return answer, nil
}
