package clock

import "time"

// UnixMicros returns t in µs since the Unix epoch, 0 for the zero time: how the framework's record and
// request bodies keep times.
func UnixMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromUnixMicros is the inverse of UnixMicros, in UTC.
func FromUnixMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
