package cronhttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// start starts a server on a free loopback port given as ":0" and stops it at the test's end.
func start(t *testing.T, page, metrics http.Handler, ready func() error) *Server {
	t.Helper()
	address, err := ParseAddress(":0")
	if err != nil {
		t.Fatal(err)
	}
	server := New(address, page, metrics, ready)
	if err := server.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := server.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return server
}

func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	request, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response.StatusCode, string(body)
}

// An address without a host binds loopback only: the listener is on 127.0.0.1, not every interface.
func TestNoHostBindsLoopback(t *testing.T) {
	server := start(t, nil, nil, nil)
	host, _, err := net.SplitHostPort(server.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || ip.IsUnspecified() {
		t.Fatalf("listening on %s, want a loopback address", server.Addr())
	}
}

func TestRoutes(t *testing.T) {
	var notReady atomic.Pointer[string]
	reason := "the scheduler has not started"
	notReady.Store(&reason)
	ready := func() error {
		if why := notReady.Load(); why != nil {
			return errors.New(*why)
		}
		return nil
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "page "+r.URL.Path) })
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "# metrics") })
	base := "http://" + start(t, page, metrics, ready).Addr()
	for _, c := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/healthz", 200, "ok\n"},
		{"HEAD", "/healthz", 200, ""},
		{"POST", "/healthz", 405, "method not allowed: use GET or HEAD\n"},
		{"GET", "/readyz", 503, "the scheduler has not started\n"},
		{"GET", "/metrics", 200, "# metrics"},
		{"GET", "/", 200, "page /"},
		{"GET", "/jobs/report", 200, "page /jobs/report"},
	} {
		if code, body := get(t, c.method, base+c.path); code != c.code || body != c.body {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, code, body, c.code, c.body)
		}
	}
	notReady.Store(nil)
	if code, body := get(t, "GET", base+"/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /readyz when ready: %d %q", code, body)
	}
}

func TestWithoutPageEverythingElseIs404(t *testing.T) {
	base := "http://" + start(t, nil, nil, nil).Addr()
	for _, path := range []string{"/", "/metrics", "/anything"} {
		if code, _ := get(t, "GET", base+path); code != http.StatusNotFound {
			t.Errorf("GET %s without page nor metrics: %d, want 404", path, code)
		}
	}
	if code, body := get(t, "GET", base+"/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /readyz without a readiness func: %d %q", code, body)
	}
}

// A bound port is an error at Start, naming the address.
func TestStartFailsOnABoundAddress(t *testing.T) {
	taken := start(t, nil, nil, nil).Addr()
	address, err := ParseAddress(taken)
	if err != nil {
		t.Fatal(err)
	}
	second := New(address, nil, nil, nil)
	err = second.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on "+taken) {
		t.Fatalf("second Start on %s: %v", taken, err)
	}
	if err := second.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown of a server that did not start: %v", err)
	}
}

// Shutdown waits for a request in progress, then the port no longer answers.
func TestShutdownWaitsForRequestsThenStops(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "slow")
	})
	address, _ := ParseAddress(":0")
	server := New(address, page, nil, nil)
	if err := server.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + server.Addr()
	answered := make(chan string)
	go func() {
		response, err := http.Get(base + "/slow")
		if err != nil {
			answered <- err.Error()
			return
		}
		defer response.Body.Close()
		body, _ := io.ReadAll(response.Body)
		answered <- string(body)
	}()
	<-entered
	stopped := make(chan error)
	go func() { stopped <- server.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // let Shutdown close the listener; it must still wait for the request
	close(release)
	if body := <-answered; body != "slow" {
		t.Fatalf("the request in progress got %q", body)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the server still answers after Shutdown")
	}
}

// Shutdown whose context ends first closes the connections, which cancels the requests' contexts, and
// returns the context's error.
func TestShutdownGivesUpWhenItsContextEnds(t *testing.T) {
	entered, canceled := make(chan struct{}), make(chan struct{})
	page := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		close(canceled)
	})
	address, _ := ParseAddress(":0")
	server := New(address, page, nil, nil)
	if err := server.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	client := make(chan struct{})
	go func() {
		defer close(client)
		if response, err := http.Get("http://" + server.Addr() + "/stuck"); err == nil {
			response.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := server.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the deadline's error", err)
	}
	<-canceled
	<-client
}
