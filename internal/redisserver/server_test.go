package redisserver

import "testing"

func TestMajorVersion(t *testing.T) {
	for output, want := range map[string]int{
		"Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0\n": 7,
		"Redis server v=6.2.6 sha=00000000:0 malloc=jemalloc-5.1.0 bits=64 build=1\n":                6,
	} {
		if got, err := majorVersion(output); err != nil || got != want {
			t.Errorf("majorVersion(%q) = %d, %v; want %d", output, got, err, want)
		}
	}
	if _, err := majorVersion("redis-server: unknown option"); err == nil {
		t.Error("an output without v= must be an error")
	}
}
