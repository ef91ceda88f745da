package distributed

import (
	"fmt"
	"strconv"
	"strings"
)

// minRedisVersion is the oldest Redis the claim script runs on: it calls TIME before writing, which needs
// effects replication (the default since 5.0), redis.pcall, and HSET with several fields (4.0).
var minRedisVersion = redisVersion{major: 5, minor: 0}

// redisVersion is a Redis server's major.minor version.
type redisVersion struct{ major, minor int }

func (v redisVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v redisVersion) atLeast(other redisVersion) bool {
	return v.major > other.major || (v.major == other.major && v.minor >= other.minor)
}

// serverVersion returns the redis_version line of the text of `INFO server`, and its major.minor.
func serverVersion(info string) (text string, version redisVersion, err error) {
	for _, line := range strings.Split(info, "\n") {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			version, err := parseRedisVersion(value)
			return value, version, err
		}
	}
	return "", redisVersion{}, fmt.Errorf("INFO server has no redis_version line")
}

// parseRedisVersion parses "major.minor[.patch…]", e.g. "7.0.15".
func parseRedisVersion(text string) (redisVersion, error) {
	parts := strings.SplitN(text, ".", 3)
	if len(parts) < 2 {
		return redisVersion{}, fmt.Errorf("redis_version %q is not major.minor[.patch]", text)
	}
	major, majorErr := strconv.Atoi(parts[0])
	minor, minorErr := strconv.Atoi(parts[1])
	if majorErr != nil || minorErr != nil || major < 0 || minor < 0 {
		return redisVersion{}, fmt.Errorf("redis_version %q is not major.minor[.patch]", text)
	}
	return redisVersion{major: major, minor: minor}, nil
}
