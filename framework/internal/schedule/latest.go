package schedule

import "time"

// Latest returns the latest tick at or before now and at most within before it (within >= 0), or the zero
// time when there is none. It passes over at most MaxCount ticks: past them it returns the last one seen.
func (s Schedule) Latest(now time.Time, within time.Duration) time.Time {
	var latest time.Time
	for tick, n := s.Next(now.Add(-within-time.Nanosecond)), 0; !tick.IsZero() && !tick.After(now) && n < MaxCount; tick, n = s.Next(tick), n+1 {
		latest = tick
	}
	return latest
}
