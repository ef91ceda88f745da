package distributed

import (
	"fmt"
	"strings"
)

// minRedisVersion is the oldest Redis the claim script runs on: it calls TIME before writing, which needs
// effects replication (the default since 5.0), redis.pcall, and HSET with several fields (4.0).
var minRedisVersion = version{major: 5, minor: 0}

// serverVersion returns the redis_version line of the text of `INFO server`, and its major.minor.
func serverVersion(info string) (text string, v version, err error) {
	for _, line := range strings.Split(info, "\n") {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			v, err := parseVersion("redis_version", value)
			return value, v, err
		}
	}
	return "", version{}, fmt.Errorf("INFO server has no redis_version line")
}
