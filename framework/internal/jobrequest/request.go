// Package jobrequest is the operators' side of job control (`cron run`, `cron kill`): a request about one
// job added to a backend's job control, which every live cron process reads at its heartbeat, and the
// wait for the processes' answers.
package jobrequest

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hadeframe/hade/framework/contract"
)

// pollInterval is how often Await reads the answers of a request.
const pollInterval = 100 * time.Millisecond

// Send adds to control a request of kind for job, with a fresh id (a random UUID), made now, and returns
// it; the error is control's.
func Send(ctx context.Context, control contract.JobControl, job string,
	kind contract.RequestKind) (contract.ControlRequest, error) {
	request := contract.ControlRequest{ID: uuid.NewString(), Job: job, Kind: kind, Made: time.Now()}
	return request, control.AddRequest(ctx, request)
}

// Await reads the answers to request id every pollInterval (100ms) until done accepts them, and returns
// the answer done picked; it returns ctx's error when ctx ends first, and control's when a read fails.
func Await(ctx context.Context, control contract.JobControl, id string,
	done func([]contract.ControlAnswer) (contract.ControlAnswer, bool)) (contract.ControlAnswer, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		answers, err := control.Answers(ctx, id)
		if err != nil {
			return contract.ControlAnswer{}, err
		}
		if answer, ok := done(answers); ok {
			return answer, nil
		}
		select {
		case <-ctx.Done():
			return contract.ControlAnswer{}, ctx.Err()
		case <-ticker.C:
		}
	}
}
