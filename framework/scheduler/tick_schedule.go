package scheduler

import (
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// tickSchedule wraps an entry's schedule to tell each run its tick. robfig/cron does not pass the
// scheduled time to a job, and writes Entry.Prev only after it started the job's goroutine. But it calls
// Schedule.Next once when the scheduler starts and once after each run it starts, and it starts an entry's
// runs in the order of those results. So the ticks recorded here, taken first-in first-out by the runs,
// give each run the fire time it was started for.
type tickSchedule struct {
	schedule cron.Schedule

	mu      sync.Mutex
	pending []time.Time
}

// Next returns the wrapped schedule's next fire time after t and records it as a pending tick.
func (s *tickSchedule) Next(t time.Time) time.Time {
	next := s.schedule.Next(t)
	if !next.IsZero() {
		s.mu.Lock()
		s.pending = append(s.pending, next)
		s.mu.Unlock()
	}
	return next
}

// take removes and returns the oldest pending tick; ok is false when there is none.
func (s *tickSchedule) take() (tick time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return time.Time{}, false
	}
	tick = s.pending[0]
	s.pending = s.pending[1:]
	return tick, true
}
