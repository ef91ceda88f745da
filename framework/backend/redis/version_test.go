package redis

import (
	"context"
	"strings"
	"testing"

	"github.com/hadeframe/hade/internal/redistest"
)

func TestRedisVersionParseAndCompare(t *testing.T) {
	for _, c := range []struct {
		info    string
		version string // "" when the text is refused
		enough  bool
	}{
		{"# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n", "7.0", true},
		{"redis_version:5.0.0\r\n", "5.0", true},
		{"redis_version:10.2\r\n", "10.2", true},
		{"redis_version:4.0.14\r\n", "4.0", false},
		{"redis_version:3.2.12\r\n", "3.2", false},
		{"redis_version:seven\r\n", "", false},
		{"redis_version:7\r\n", "", false},
		{"# Server\r\nuptime:1\r\n", "", false},
	} {
		_, version, err := serverVersion(c.info)
		switch {
		case c.version == "" && err == nil:
			t.Errorf("%q: parsed as %s, want an error", c.info, version)
		case c.version != "" && (err != nil || version.String() != c.version):
			t.Errorf("%q: %s, %v; want %s", c.info, version, err, c.version)
		case c.version != "" && version.AtLeast(minRedisVersion) != c.enough:
			t.Errorf("%s at least %s = %v, want %v", version, minRedisVersion, !c.enough, c.enough)
		}
	}
}

// The real server passes the check, and Describe says it answers.
func TestRedisPingChecksTheVersion(t *testing.T) {
	server := redistest.Start(t, "")
	backend := newTestRedis(t, server.URL())
	if err := backend.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if line := backend.Describe(context.Background()); !strings.Contains(line, "answers") {
		t.Fatalf("Describe = %q", line)
	}
}
