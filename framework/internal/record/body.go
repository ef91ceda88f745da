package record

import "time"

// The bodies are JSON objects with one-letter keys, their times as integers of µs since the Unix epoch
// (0 for the zero time.Time): written once per run, they are kept small. Decoding ignores unknown keys, so
// a record may gain fields without making the bodies already stored unreadable; encoding/json matches keys
// without regard to case, so a new key must differ from the others by more than case.

// micros returns t in µs since the Unix epoch, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// timeOf is the inverse of micros, in UTC.
func timeOf(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
