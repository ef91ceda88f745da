package verify

import (
	"bufio"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// echoServer accepts on a loopback port and echoes every line, until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = listener.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				lines := bufio.NewScanner(conn)
				for lines.Scan() {
					if _, err := conn.Write(append(lines.Bytes(), '\n')); err != nil {
						return
					}
				}
			}()
		}
	}()
	return listener.Addr().String()
}

// roundTrip sends a line through conn and waits up to 2s for its echo.
func roundTrip(conn net.Conn) error {
	if err := conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil && line != "ping\n" {
		err = errors.New("echo " + line)
	}
	return err
}

func TestProxyForwardsDelaysAndCuts(t *testing.T) {
	p, err := startProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	conn, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := roundTrip(conn); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.setDelay(300 * time.Millisecond)
	begin := time.Now()
	if err := roundTrip(conn); err != nil || time.Since(begin) < 600*time.Millisecond {
		t.Fatalf("delayed 300ms each way: %v after %s", err, time.Since(begin))
	}
	p.setDelay(0)
	p.setMode(linkRefused)
	if err := roundTrip(conn); err == nil {
		t.Fatal("a connection open when the cut began still works")
	}
	refused, err := net.Dial("tcp", p.addr())
	if err == nil {
		defer refused.Close()
		err = roundTrip(refused)
	}
	if err == nil {
		t.Fatal("a new connection works during a refusing cut")
	}
	p.setMode(linkBlackhole)
	held, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := roundTrip(held); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a blackholed connection: want a timeout, got %v", err)
	}
	p.setMode(linkUp)
	healed, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer healed.Close()
	if err := roundTrip(healed); err != nil {
		t.Fatalf("after the cut: %v", err)
	}
}

func TestProxyStopEndsItsConnections(t *testing.T) {
	p, err := startProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := roundTrip(conn); err != nil {
		t.Fatal(err)
	}
	p.stop() // returns once every goroutine of the proxy ended
	if err := roundTrip(conn); err == nil {
		t.Fatal("a connection still works after stop")
	}
	if _, err := net.DialTimeout("tcp", p.addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts after stop")
	}
}
