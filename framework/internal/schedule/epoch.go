package schedule

import "time"

// epochSchedule fires at every multiple of period since the Unix epoch (1970-01-01T00:00:00Z). Unlike
// robfig/cron's ConstantDelaySchedule, whose "@every" counts from when an entry was added, its ticks do
// not depend on when a process started, so all processes agree on them. period must be positive.
type epochSchedule struct {
	period time.Duration
}

// Next returns the first multiple of period strictly after t, in t's location.
func (s epochSchedule) Next(t time.Time) time.Time {
	period := s.period.Nanoseconds()
	n := t.UnixNano()
	remainder := n % period
	if remainder < 0 {
		remainder += period
	}
	return time.Unix(0, n-remainder+period).In(t.Location())
}
