package verify

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"time"
)

// cutMode is how a cut proxy treats new connections.
type cutMode int

const (
	linkUp        cutMode = iota // forward
	linkRefused                  // accept and close at once: the client sees a reset
	linkBlackhole                // accept and never answer, until the cut ends: the client sees a timeout
)

// proxy is a fault-injecting TCP proxy on a free loopback port, from one node to one backend endpoint
// (target, host:port). Each accepted connection is forwarded to target, every chunk after the delay of the
// moment it was read. A cut closes the proxy's connections; while it lasts new ones are refused or
// blackholed. Its goroutines end by stop, which the run calls once, after the nodes stopped. Its target
// may move (setTarget): a PostgreSQL failover starts a new standby on another port.
type proxy struct {
	listener net.Listener
	wg       sync.WaitGroup

	mu      sync.Mutex
	target  string
	mode    cutMode
	delay   time.Duration
	conns   map[net.Conn]struct{} // open connections, both sides
	stopped bool
}

// startProxy listens on a free loopback port and forwards to target.
func startProxy(target string) (*proxy, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{target: target, listener: listener, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// addr is the proxy's host:port, for the node.
func (p *proxy) addr() string { return p.listener.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.listener.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // e.g. out of descriptors: try again
			continue
		}
		p.mu.Lock()
		mode, stopped := p.mode, p.stopped
		if !stopped && mode != linkRefused {
			p.conns[client] = struct{}{} // a blackholed one stays open, unanswered, until the cut ends
		}
		p.mu.Unlock()
		switch {
		case stopped || mode == linkRefused:
			_ = client.Close()
		case mode == linkUp:
			p.wg.Add(1)
			go p.forward(client)
		}
	}
}

// forward dials target for client and copies both ways until either side closes or the proxy cuts.
func (p *proxy) forward(client net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	server, err := net.DialTimeout("tcp", target, time.Second)
	if err != nil {
		p.drop(client) // the backend is down: the node sees what it would see
		return
	}
	if !p.track(server) {
		_ = server.Close()
		p.drop(client)
		return
	}
	p.wg.Add(2)
	go p.pipe(server, client)
	go p.pipe(client, server)
}

// chunk is data read from one side, due to be written to the other at due.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk delayed by the delay of the moment it was read; then it closes both.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	chunks := make(chan chunk, 64)
	written := make(chan struct{})
	go func() {
		defer close(written)
		failed := false
		for c := range chunks {
			if failed {
				continue // drain until the reader ends
			}
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.data); err != nil {
				failed = true
				p.drop(src)
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunks <- chunk{data: bytes.Clone(buf[:n]), due: time.Now().Add(p.currentDelay())}
		}
		if err != nil {
			break
		}
	}
	close(chunks)
	<-written
	p.drop(src)
	p.drop(dst)
}

func (p *proxy) currentDelay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delay
}

// track adds conn to the open connections, unless the proxy is cut or stopped.
func (p *proxy) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.mode != linkUp {
		return false
	}
	p.conns[conn] = struct{}{}
	return true
}

// drop closes conn and forgets it.
func (p *proxy) drop(conn net.Conn) {
	p.mu.Lock()
	delete(p.conns, conn)
	p.mu.Unlock()
	_ = conn.Close() // a second close of a dropped connection fails, harmlessly
}

// setMode closes every open connection and sets how new ones are treated: a cut (linkRefused,
// linkBlackhole) or its end (linkUp, which also closes the blackholed ones).
func (p *proxy) setMode(mode cutMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	p.closeAll()
}

// setTarget makes new connections go to target; open ones stay with the old target.
func (p *proxy) setTarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

// setDelay sets the delay of the data read from now on, each way.
func (p *proxy) setDelay(delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = delay
}

// closeAll closes every open connection; p.mu is held.
func (p *proxy) closeAll() {
	for conn := range p.conns {
		_ = conn.Close()
		delete(p.conns, conn)
	}
}

// stop closes the listener and every connection, and waits until every goroutine of the proxy ended.
func (p *proxy) stop() {
	p.mu.Lock()
	p.stopped = true
	_ = p.listener.Close()
	p.closeAll()
	p.mu.Unlock()
	p.wg.Wait()
}
