package distributed

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a server's major.minor version, as the Redis and etcd backends check it at start.
type version struct{ major, minor int }

func (v version) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v version) atLeast(other version) bool {
	return v.major > other.major || (v.major == other.major && v.minor >= other.minor)
}

// parseVersion parses "major.minor[.patch…]", e.g. "7.0.15"; what names the value in the error, e.g.
// "redis_version".
func parseVersion(what, text string) (version, error) {
	parts := strings.SplitN(text, ".", 3)
	if len(parts) < 2 {
		return version{}, fmt.Errorf("%s %q is not major.minor[.patch]", what, text)
	}
	major, majorErr := strconv.Atoi(parts[0])
	minor, minorErr := strconv.Atoi(parts[1])
	if majorErr != nil || minorErr != nil || major < 0 || minor < 0 {
		return version{}, fmt.Errorf("%s %q is not major.minor[.patch]", what, text)
	}
	return version{major: major, minor: minor}, nil
}
