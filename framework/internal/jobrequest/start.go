package jobrequest

import (
	"context"
	"errors"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/order"
)

// ErrTimedOut is the error of Start and Kill when the answers they wait for do not all come in time.
var ErrTimedOut = errors.New("the answers did not come in time")

// Start sends control request, a run request (order.New with order.Run), and waits up to take for the
// first process to take it (First). It returns the request and that process's answer; the error is
// Send's, ErrTimedOut when no process took the request within take (or within ctx's deadline), or
// control's.
func Start(ctx context.Context, control contract.JobControl, request order.Request,
	take time.Duration) (order.Request, order.Answer, error) {
	request, err := Send(ctx, control, request)
	if err != nil {
		return request, order.Answer{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, take)
	defer cancel()
	started, err := Await(ctx, control, request.ID, First)
	if errors.Is(err, context.DeadlineExceeded) {
		err = ErrTimedOut
	}
	return request, started, err
}
