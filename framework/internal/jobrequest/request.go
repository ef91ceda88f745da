// Package jobrequest is the operators' side of job control (`cron run`, `cron kill`, the status page): a
// request about one job added to a backend's job control, which every live cron process reads at its
// heartbeat, and the wait for the processes' answers.
package jobrequest

import (
	"context"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
)

// pollInterval is how often Await reads the answers of a request.
const pollInterval = 100 * time.Millisecond

// Send adds request (made by order.New) to control and returns it; the error is the request's
// (order.Request.Validate) or control's.
func Send(ctx context.Context, control contract.JobControl, request order.Request) (order.Request, error) {
	return request, order.Add(ctx, control, request)
}

// Await reads the answers to request id every pollInterval (100ms) until done accepts them, and returns
// the answer done picked; answers that do not decode are not shown to done. It returns ctx's error when
// ctx ends first, and control's when a read fails.
func Await(ctx context.Context, control contract.JobControl, id string,
	done func([]order.Answer) (order.Answer, bool)) (order.Answer, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		answers, err := order.Answers(ctx, control, id)
		if err != nil {
			return order.Answer{}, err
		}
		if answer, ok := done(answers); ok {
			return answer, nil
		}
		select {
		case <-ctx.Done():
			return order.Answer{}, ctx.Err()
		case <-ticker.C:
		}
	}
}
