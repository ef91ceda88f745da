package engine

import (
	"sync"
	"time"

	"github.com/hadeframe/hade/framework/internal/clock"
	"github.com/hadeframe/hade/framework/internal/schedule"
)

// tickSchedule wraps an entry's schedule to tell each run its tick. robfig/cron does not pass the
// scheduled time to a job, and writes Entry.Prev only after it started the job's goroutine. But it calls
// Schedule.Next once when the scheduler starts and once after each run it starts, and it starts an entry's
// runs in the order of those results. So the ticks recorded here, taken first-in first-out by the runs,
// give each run the fire time it was started for.
//
// It also keeps the ticks increasing: a clock that jumps back never yields a tick twice. And it reports
// the ticks robfig/cron skipped because the process was late (stalled, suspended, or its clock jumped
// forward): robfig/cron fires a late entry once, then asks for the next tick after the late now.
type tickSchedule struct {
	schedule schedule.Schedule
	// missed, when set, is told of each gap of skipped ticks: the first and last skipped tick and how
	// many (at most schedule.MaxCount). It is called from robfig/cron's timing goroutine.
	missed func(first, last time.Time, count int)

	mu      sync.Mutex
	pending []time.Time
	last    time.Time // the latest tick returned
}

// Next returns the wrapped schedule's next fire time after t (after the latest tick returned, if t is
// before it) and records it as a pending tick.
//
// robfig/cron reads the host clock; the ticks follow the framework's clock (clock.Now, off only in test
// builds): t is shifted by clock.Offset and the tick returned shifted back, so the entry fires when the
// framework's clock reads the tick.
func (s *tickSchedule) Next(t time.Time) time.Time {
	next := s.next(t.Add(clock.Offset))
	if next.IsZero() {
		return next
	}
	return next.Add(-clock.Offset)
}

func (s *tickSchedule) next(t time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.schedule.Next(t)
	if !s.last.IsZero() && !next.IsZero() {
		if !next.After(s.last) { // the clock went back
			next = s.schedule.Next(s.last)
		}
		s.reportMissed(next)
	}
	if !next.IsZero() {
		s.pending = append(s.pending, next)
		s.last = next
	}
	return next
}

// reportMissed tells missed of the ticks strictly between s.last and next, if any.
func (s *tickSchedule) reportMissed(next time.Time) {
	first, last, count := s.schedule.Between(s.last, next)
	if count > 0 && s.missed != nil {
		s.missed(first, last, count)
	}
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
