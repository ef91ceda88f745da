package jobrequest

import (
	"context"
	"errors"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
	"github.com/hadeframe/hade/framework/internal/record"
)

// Running returns how many of processes have a run of job in progress: those whose kill Kill awaits.
func Running(processes []record.Process, job string) int {
	running := 0
	for _, p := range processes {
		for _, r := range p.Running {
			if r.Job == job {
				running++
				break
			}
		}
	}
	return running
}

// Kill sends control a request to cancel job's runs in progress (Send, order.Kill) and waits up to
// timeout until running processes (Running) confirmed it. It returns the request (its ID set once sent)
// and the confirmations counted; the error is Send's, ErrTimedOut when fewer than running came within
// timeout (or within ctx's deadline), or control's.
func Kill(ctx context.Context, control contract.JobControl, job string, running int,
	timeout time.Duration) (order.Request, int, error) {
	request, err := Send(ctx, control, order.New(job, order.Kill))
	if err != nil {
		return request, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	confirmed := 0
	_, err = Await(ctx, control, request.ID, func(answers []order.Answer) (order.Answer, bool) {
		confirmed = len(answers)
		return order.Answer{}, confirmed >= running
	})
	if errors.Is(err, context.DeadlineExceeded) {
		err = ErrTimedOut
	}
	return request, confirmed, err
}
