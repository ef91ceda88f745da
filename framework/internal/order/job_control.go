package order

import (
	"context"

	"github.com/hadeframe/hade/framework/contract"
)

// Add stores request in control for the processes (contract.JobControl.AddRequest), encoded. It returns
// request.Validate's error, then control's.
func Add(ctx context.Context, control contract.JobControl, request Request) error {
	stored, err := EncodeRequest(request)
	if err != nil {
		return err
	}
	return control.AddRequest(ctx, stored)
}

// Requests returns the requests of orders (a heartbeat's, oldest first), decoded; a request that does not
// decode (not written by this version's format) is left out.
func Requests(orders contract.Orders) []Request {
	requests := make([]Request, 0, len(orders.Requests))
	for _, stored := range orders.Requests {
		if request, err := DecodeRequest(stored); err == nil {
			requests = append(requests, request)
		}
	}
	return requests
}

// Reply stores answer to request id in control (contract.JobControl.Answer), encoded. It returns
// answer.Validate's error, then control's.
func Reply(ctx context.Context, control contract.JobControl, id string, answer Answer) error {
	stored, err := EncodeAnswer(answer)
	if err != nil {
		return err
	}
	return control.Answer(ctx, id, stored)
}

// Answers returns the answers to request id in control so far, oldest first
// (contract.JobControl.Answers), decoded; an answer that does not decode is left out. Errors are
// control's.
func Answers(ctx context.Context, control contract.JobControl, id string) ([]Answer, error) {
	stored, err := control.Answers(ctx, id)
	if err != nil {
		return nil, err
	}
	answers := make([]Answer, 0, len(stored))
	for _, s := range stored {
		if answer, err := DecodeAnswer(s); err == nil {
			answers = append(answers, answer)
		}
	}
	return answers, nil
}
