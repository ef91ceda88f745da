//go:build !hadeclock

package clock

// Offset is added to the host clock: always 0 outside test builds with -tags hadeclock.
const Offset = 0
