package memory

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// control is the job control state of a Store (contract.JobControl): the paused jobs with their notes,
// kept until resumed, and the requests, their answers and who took them, kept contract.ControlRequestTTL.
type control struct {
	paused   map[string]string                  // job name -> its pause note ("" for none)
	requests map[string]contract.ControlRequest // by ID, their bodies copies of the callers'
	answers  map[string][]answer                // by request ID, in the order stored
	taken    map[string]time.Time               // by request ID: when it was taken
}

// answer is an answer as stored: a copy of the caller's, and when it was stored by the Store's clock.
type answer struct {
	answer contract.ControlAnswer
	stored time.Time
}

// newControl returns an empty control.
func newControl() control {
	return control{
		paused:   make(map[string]string),
		requests: make(map[string]contract.ControlRequest),
		answers:  make(map[string][]answer),
		taken:    make(map[string]time.Time),
	}
}

// orders returns what a heartbeat at now learns: a copy of the paused jobs with their notes (nil when
// none is paused) and copies of the requests made at or after now - contract.ControlRequestTTL, oldest
// first (by Made, then ID).
func (c *control) orders(now time.Time) contract.Orders {
	var orders contract.Orders
	if len(c.paused) > 0 {
		orders.Paused = maps.Clone(c.paused)
	}
	oldest := now.Add(-contract.ControlRequestTTL)
	for _, r := range c.requests {
		if !r.Made.Before(oldest) {
			r.Body = slices.Clone(r.Body)
			orders.Requests = append(orders.Requests, r)
		}
	}
	slices.SortFunc(orders.Requests, func(a, b contract.ControlRequest) int {
		return cmp.Or(a.Made.Compare(b.Made), cmp.Compare(a.ID, b.ID))
	})
	return orders
}

// expire deletes the requests made, the answers stored and the takes made before cutoff.
func (c *control) expire(cutoff time.Time) {
	for id, r := range c.requests {
		if r.Made.Before(cutoff) {
			delete(c.requests, id)
		}
	}
	for id, answers := range c.answers {
		answers = slices.DeleteFunc(answers, func(a answer) bool { return a.stored.Before(cutoff) })
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
