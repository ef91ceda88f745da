package rules

import (
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/name"
)

// RunCount is what a backend keeps of a service's counted runs (contract.RunLeases.CountRun): how many,
// and the tick counted last. The zero value has counted none.
type RunCount struct {
	Count int
	Last  time.Time // the tick counted last; zero when none
}

// Add applies contract.RunLeases.CountRun's rule to c for tick and limit: the count kept after, and the
// answer (count, counted).
func (c RunCount) Add(tick time.Time, limit int) (next RunCount, count int, counted bool) {
	switch {
	case limit == 0:
		return c, c.Count, false
	case c.Count > 0 && c.Last.Equal(tick):
		return c, c.Count, true // a re-send of the last count
	case c.Count >= limit:
		return c, c.Count, false
	}
	next = RunCount{Count: c.Count + 1, Last: tick}
	return next, next.Count, true
}

// ValidateRunCount returns an error for an invalid service name, a zero tick or a negative limit.
func ValidateRunCount(run contract.RunLease, limit int) error {
	if err := name.ValidateService(run.Service); err != nil {
		return fmt.Errorf("run count: %w", err)
	}
	switch {
	case run.Tick.IsZero():
		return fmt.Errorf("run count of service %q: the tick is zero: give the tick of the run", run.Service)
	case limit < 0:
		return fmt.Errorf("run count of service %q: limit %d is negative: give at least 1 (0 reads the count)", run.Service, limit)
	}
	return nil
}
