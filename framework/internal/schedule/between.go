package schedule

import "time"

// MaxCount bounds how many ticks Between counts and Latest passes over; a longer range is counted as
// MaxCount ticks.
const MaxCount = 100_000

// Between returns the ticks strictly between after and before: the first, the last and how many (at most
// MaxCount, the first and last of those counted). count is 0, and first and last zero, when there is none.
func (s Schedule) Between(after, before time.Time) (first, last time.Time, count int) {
	for t := s.Next(after); !t.IsZero() && t.Before(before) && count < MaxCount; t = s.Next(t) {
		if count == 0 {
			first = t
		}
		last, count = t, count+1
	}
	return first, last, count
}
