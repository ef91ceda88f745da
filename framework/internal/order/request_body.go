package order

import (
	"encoding/json"
	"errors"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// requestBody is a Request as encoded, but for its ID and Made.
type requestBody struct {
	Job     string `json:"j"`
	Kind    string `json:"k"`
	Overlap string `json:"o,omitempty"`
	Reason  string `json:"c,omitempty"`
	Target  string `json:"a,omitempty"`
	From    int64  `json:"f,omitempty"` // µs
	To      int64  `json:"t,omitempty"` // µs
}

// errNotARequest is the error of a body that is not a request: not a JSON object, or without a job or a
// kind.
var errNotARequest = errors.New("not a control request")

// EncodeRequest returns request as a backend stores it: its ID and Made, by which the backend keys and
// expires it, and the rest as a body. It returns request.Validate's error.
func EncodeRequest(request Request) (contract.ControlRequest, error) {
	if err := request.Validate(); err != nil {
		return contract.ControlRequest{}, err
	}
	body, err := json.Marshal(requestBody{Job: request.Job, Kind: string(request.Kind), Overlap: request.Overlap,
		Reason: request.Reason, Target: request.Target, From: clock.UnixMicros(request.From), To: clock.UnixMicros(request.To)})
	if err != nil {
		return contract.ControlRequest{}, err
	}
	return contract.ControlRequest{ID: request.ID, Made: request.Made, Body: body}, nil
}

// DecodeRequest is the inverse of EncodeRequest: the request stored holds, Made as the backend kept it. A
// kind this version does not know (a newer version's) decodes; the caller ignores it. It returns an error
// when stored's body is not a request (another version's format, another program's).
func DecodeRequest(stored contract.ControlRequest) (Request, error) {
	var b requestBody
	if err := json.Unmarshal(stored.Body, &b); err != nil {
		return Request{}, err
	}
	if b.Job == "" || b.Kind == "" {
		return Request{}, errNotARequest
	}
	return Request{ID: stored.ID, Job: b.Job, Kind: Kind(b.Kind), Made: stored.Made, Overlap: b.Overlap,
		Reason: b.Reason, Target: b.Target, From: clock.FromUnixMicros(b.From), To: clock.FromUnixMicros(b.To)}, nil
}
