//go:build hadeclock

package verify

// clockBuild reports whether this binary was built with -tags hadeclock: then its nodes' framework clock
// follows HADE_TEST_CLOCK_OFFSET and the nemesis offsets node clocks (fault clock-offset).
const clockBuild = true
