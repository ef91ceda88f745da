// Package clock is the framework's reading of the host clock where it decides which tick fires and
// whether a claim is in its window. Production builds read the host clock unchanged (Offset is the
// constant 0). TEST ONLY: a build with -tags hadeclock adds the offset given in HADE_TEST_CLOCK_OFFSET (a
// Go duration, e.g. -700ms), so cmd/hadeverify can run a node whose clock is off (clock_on.go).
package clock

import "time"

// EnvOffset names the variable read by -tags hadeclock builds.
const EnvOffset = "HADE_TEST_CLOCK_OFFSET"

// Now returns the host's clock plus Offset.
func Now() time.Time { return time.Now().Add(Offset) }
