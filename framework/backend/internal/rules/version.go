package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a server's major.minor version, as the Redis and etcd backends check it at start.
type Version struct{ Major, Minor int }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func (v Version) AtLeast(other Version) bool {
	return v.Major > other.Major || (v.Major == other.Major && v.Minor >= other.Minor)
}

// ParseVersion parses "major.minor[.patch…]", e.g. "7.0.15"; what names the value in the error, e.g.
// "redis_version".
func ParseVersion(what, text string) (Version, error) {
	parts := strings.SplitN(text, ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("%s %q is not major.minor[.patch]", what, text)
	}
	major, majorErr := strconv.Atoi(parts[0])
	minor, minorErr := strconv.Atoi(parts[1])
	if majorErr != nil || minorErr != nil || major < 0 || minor < 0 {
		return Version{}, fmt.Errorf("%s %q is not major.minor[.patch]", what, text)
	}
	return Version{Major: major, Minor: minor}, nil
}
