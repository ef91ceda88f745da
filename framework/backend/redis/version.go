package redis

import (
	"fmt"
	"strings"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
)

// minRedisVersion is the oldest Redis the claim script runs on: it calls TIME before writing, which needs
// effects replication (the default since 5.0), redis.pcall, and HSET with several fields (4.0).
var minRedisVersion = rules.Version{Major: 5, Minor: 0}

// serverVersion returns the redis_version line of the text of `INFO server`, and its major.minor.
func serverVersion(info string) (text string, v rules.Version, err error) {
	for _, line := range strings.Split(info, "\n") {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			v, err := rules.ParseVersion("redis_version", value)
			return value, v, err
		}
	}
	return "", rules.Version{}, fmt.Errorf("INFO server has no redis_version line")
}
