// Package cronhttp is the HTTP server of `cron start --http`: /metrics, the /healthz and /readyz probes,
// and a page handler for everything else.
package cronhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Server serves one cron process's endpoints; Start binds it, Shutdown stops it.
type Server struct {
	address  Address
	server   *http.Server
	listener net.Listener
	done     chan struct{} // closed when Serve returned
	serveErr error         // what Serve returned, but http.ErrServerClosed
}

// New returns a Server for address with these routes: /metrics served by metrics; /healthz, 200 "ok"
// while the process is up; /readyz, 200 "ok" when ready returns nil, else 503 with its error's text; and
// every other path served by page (nil: 404). Nil metrics or ready: /metrics answers 404, /readyz "ok".
func New(address Address, page, metrics http.Handler, ready func() error) *Server {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("/metrics", metrics)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { probe(w, r, nil) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		var err error
		if ready != nil {
			err = ready()
		}
		probe(w, r, err)
	})
	if page == nil {
		page = http.NotFoundHandler()
	}
	mux.Handle("/", page)
	return &Server{address: address, server: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}}
}

// probe answers a probe: 200 "ok" when err is nil, else 503 with err's text; GET and HEAD only.
func probe(w http.ResponseWriter, r *http.Request, err error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: use GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	text := "ok"
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		text = err.Error()
	}
	_, _ = io.WriteString(w, text+"\n") // a client gone away is no error of the server's
}

// Start binds the address and serves in the background until Shutdown. It returns at once an error naming
// the address when it cannot be bound (in use, not an address of this host, ctx ended).
func (s *Server) Start(ctx context.Context) error {
	if s.listener != nil {
		return errors.New("cron http: the server was already started")
	}
	var config net.ListenConfig
	listener, err := config.Listen(ctx, "tcp", s.address.Bind)
	if err != nil {
		return fmt.Errorf("cron http: listen on %s: %w", s.address.Bind, err)
	}
	s.listener, s.done = listener, make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	return nil
}

// Addr returns the address the server listens on (the port chosen when it was 0), or "" before Start.
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Shutdown stops accepting connections and waits for the requests in progress until ctx ends, then closes
// the rest; it returns once the server's goroutine has ended, with ctx's error if it ended first, or the
// error that stopped the server earlier. Without Start it does nothing.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.listener == nil {
		return nil
	}
	err := s.server.Shutdown(ctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("cron http: shut down: %w", err), s.server.Close())
	}
	<-s.done
	if s.serveErr != nil {
		err = errors.Join(err, fmt.Errorf("cron http: serving on %s: %w", s.address.Bind, s.serveErr))
	}
	return err
}
