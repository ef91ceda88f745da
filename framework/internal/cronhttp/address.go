package cronhttp

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Address is where a Server listens, as ParseAddress resolved it.
type Address struct {
	Bind     string // host:port given to net.Listen, e.g. "127.0.0.1:9090"
	Loopback bool   // Bind is on a loopback interface only (127.0.0.0/8, ::1, localhost)
}

// addressExamples ends the errors of ParseAddress.
const addressExamples = `valid: ":9090" or "127.0.0.1:9090" (loopback only), "0.0.0.0:9090" (every interface), "[::1]:9090"`

// ParseAddress reads host:port. Without a host (":9090") it binds loopback, 127.0.0.1, not every
// interface; an explicit host (0.0.0.0, an IP, a name) binds that. The port is a number from 0 to 65535 (0:
// any free port). It returns an error quoting value and the valid forms when value is not such an address.
func ParseAddress(value string) (Address, error) {
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		return Address{}, fmt.Errorf("address %q is not host:port (%v); %s", value, err, addressExamples)
	}
	if number, err := strconv.Atoi(port); err != nil || number < 0 || number > 65535 {
		return Address{}, fmt.Errorf("address %q: port %q is not a number from 0 to 65535; %s", value, port, addressExamples)
	}
	switch host {
	case "":
		return Address{Bind: net.JoinHostPort("127.0.0.1", port), Loopback: true}, nil
	case "localhost":
		return Address{Bind: value, Loopback: true}, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return Address{Bind: value, Loopback: ip.IsLoopback()}, nil
	}
	return Address{Bind: value}, nil // a host name: it may resolve to any interface
}
