package memory

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// control is the job control state of a Store (contract.JobControl): the paused jobs, kept until
// resumed, and the requests, their answers and who took them, kept contract.ControlRequestTTL.
type control struct {
	paused   map[string]bool
	requests map[string]contract.ControlRequest  // by ID
	answers  map[string][]contract.ControlAnswer // by request ID, in the order stored
	taken    map[string]time.Time                // by request ID: when it was taken
}

// newControl returns an empty control.
func newControl() control {
	return control{
		paused:   make(map[string]bool),
		requests: make(map[string]contract.ControlRequest),
		answers:  make(map[string][]contract.ControlAnswer),
		taken:    make(map[string]time.Time),
	}
}

// orders returns what a heartbeat at now learns: the paused jobs, sorted, and the requests made at or
// after now - contract.ControlRequestTTL, oldest first (by Made, then ID).
func (c *control) orders(now time.Time) contract.Orders {
	var orders contract.Orders
	for job := range c.paused {
		orders.Paused = append(orders.Paused, job)
	}
	slices.Sort(orders.Paused)
	oldest := now.Add(-contract.ControlRequestTTL)
	for _, r := range c.requests {
		if !r.Made.Before(oldest) {
			orders.Requests = append(orders.Requests, r)
		}
	}
	slices.SortFunc(orders.Requests, func(a, b contract.ControlRequest) int {
		return cmp.Or(a.Made.Compare(b.Made), cmp.Compare(a.ID, b.ID))
	})
	return orders
}

// expire deletes the requests made, the answers given and the takes made before cutoff.
func (c *control) expire(cutoff time.Time) {
	for id, r := range c.requests {
		if r.Made.Before(cutoff) {
			delete(c.requests, id)
		}
	}
	for id, answers := range c.answers {
		answers = slices.DeleteFunc(answers, func(a contract.ControlAnswer) bool { return a.At.Before(cutoff) })
		if len(answers) == 0 {
			delete(c.answers, id)
		} else {
			c.answers[id] = answers
		}
	}
	for id, at := range c.taken {
		if at.Before(cutoff) {
			delete(c.taken, id)
		}
	}
}

// validateRequest returns an error naming the field of r that is missing or unknown. A request without
// Made is refused: the processes would never see it.
func validateRequest(r contract.ControlRequest) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("control request of job %q without an ID: ControlRequest.ID (a random UUID) is required", r.Job)
	case r.Job == "":
		return fmt.Errorf("control request %q without a job: ControlRequest.Job is required", r.ID)
	case r.Kind != contract.RequestRun && r.Kind != contract.RequestKill:
		return fmt.Errorf("control request %q of job %q: unknown kind %q, want %q or %q", r.ID, r.Job, r.Kind,
			contract.RequestRun, contract.RequestKill)
	case r.Made.IsZero():
		return fmt.Errorf("control request %q of job %q without a time: ControlRequest.Made is required", r.ID, r.Job)
	}
	return nil
}
