package cronhttp

import (
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, c := range []struct {
		value, bind string
		loopback    bool
	}{
		{":9090", "127.0.0.1:9090", true}, // no host: loopback, not every interface
		{":0", "127.0.0.1:0", true},
		{"127.0.0.1:9090", "127.0.0.1:9090", true},
		{"127.0.0.2:9090", "127.0.0.2:9090", true},
		{"[::1]:9090", "[::1]:9090", true},
		{"localhost:9090", "localhost:9090", true},
		{"0.0.0.0:9090", "0.0.0.0:9090", false},
		{"[::]:9090", "[::]:9090", false},
		{"10.1.2.3:9090", "10.1.2.3:9090", false},
		{"cron.example.com:9090", "cron.example.com:9090", false},
	} {
		got, err := ParseAddress(c.value)
		if err != nil || got.Bind != c.bind || got.Loopback != c.loopback {
			t.Errorf("ParseAddress(%q) = %+v, %v; want bind %s, loopback %v", c.value, got, err, c.bind, c.loopback)
		}
	}
}

func TestParseAddressRefusesWhatIsNotHostPort(t *testing.T) {
	for _, value := range []string{"", "9090", "localhost", ":http", ":70000", ":-1", "1.2.3.4:", "http://localhost:9090"} {
		_, err := ParseAddress(value)
		if err == nil || !strings.Contains(err.Error(), `"`+value+`"`) || !strings.Contains(err.Error(), `valid: ":9090"`) {
			t.Errorf("ParseAddress(%q): %v; want an error quoting it and the valid forms", value, err)
		}
	}
}
