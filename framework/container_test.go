package framework

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type funcProvider struct {
	name string
	new  func(*Container) (any, error)
}

func (p funcProvider) Name() string                  { return p.name }
func (p funcProvider) New(r *Container) (any, error) { return p.new(r) }

func TestMakeBuildsOnceUnderConcurrentUse(t *testing.T) {
	var builds atomic.Int32
	c := NewContainer()
	if err := c.Bind(funcProvider{"dep", func(*Container) (any, error) { return "dep-value", nil }}); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(funcProvider{"svc", func(r *Container) (any, error) {
		builds.Add(1)
		dep, err := MakeAs[string](r, "dep")
		return &struct{ dep string }{dep}, err
	}}); err != nil {
		t.Fatal(err)
	}
	const goroutines = 100
	results := make([]any, goroutines)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			value, err := c.Make("svc")
			if err != nil {
				t.Error(err)
			}
			results[i] = value
		}()
	}
	wg.Wait()
	if builds.Load() != 1 {
		t.Fatalf("built %d times, want once", builds.Load())
	}
	for _, r := range results {
		if r != results[0] {
			t.Fatal("callers got different instances")
		}
	}
	if err := c.Bind(funcProvider{"svc", func(*Container) (any, error) { return nil, nil }}); err == nil {
		t.Fatal("rebinding a made service must fail")
	}
}

func TestMakeErrors(t *testing.T) {
	c := NewContainer()
	if _, err := c.Make("missing"); err == nil || !strings.Contains(err.Error(), `no provider bound to "missing"`) {
		t.Fatalf("unbound: %v", err)
	}
	fail := true
	if err := c.Bind(funcProvider{"flaky", func(*Container) (any, error) {
		if fail {
			return nil, errors.New("not yet")
		}
		return 1, nil
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Make("flaky"); err == nil || !strings.Contains(err.Error(), "not yet") {
		t.Fatalf("failing provider: %v", err)
	}
	fail = false
	if v, err := c.Make("flaky"); err != nil || v != 1 {
		t.Fatalf("a failure is not kept: got %v, %v", v, err)
	}
	if _, err := MakeAs[string](c, "flaky"); err == nil || !strings.Contains(err.Error(), "is a int, not a string") {
		t.Fatalf("MakeAs with the wrong type: %v", err)
	}
	for _, p := range []funcProvider{
		{"a", func(r *Container) (any, error) { return r.Make("b") }},
		{"b", func(r *Container) (any, error) { return r.Make("a") }},
	} {
		if err := c.Bind(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Make("a"); err == nil || !strings.Contains(err.Error(), "dependency cycle a -> b -> a") {
		t.Fatalf("cycle: %v", err)
	}
	if err := c.Bind(nil); err == nil {
		t.Fatal("binding nil must fail")
	}
}

func TestContainerTravelsInTheContext(t *testing.T) {
	if _, err := ContainerFrom(context.Background()); err == nil {
		t.Fatal("a bare context has no container")
	}
	c := NewContainer()
	got, err := ContainerFrom(WithContainer(context.Background(), c))
	if err != nil || got != c {
		t.Fatalf("ContainerFrom = %p, %v; want %p", got, err, c)
	}
}

// A provider that panics fails the Make that built it and every Make waiting for that build, with an error
// naming the key and the panic value; later Makes build again and never block.
func TestPanickingProviderFailsEveryMakeAndNeverBlocks(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var builds atomic.Int32
	c := NewContainer()
	if err := c.Bind(funcProvider{"fragile", func(*Container) (any, error) {
		if builds.Add(1) == 1 {
			close(entered)
			<-release // the concurrent Makes queue behind this build
		}
		panic("no config file")
	}}); err != nil {
		t.Fatal(err)
	}
	const callers = 20
	errs := make(chan error, callers+2)
	go func() { _, err := c.Make("fragile"); errs <- err }()
	<-entered
	for i := 0; i < callers; i++ {
		go func() { _, err := c.Make("fragile"); errs <- err }()
	}
	close(release)
	for i := 0; i < callers+1; i++ {
		select {
		case err := <-errs:
			if err == nil || !strings.Contains(err.Error(), `make "fragile"`) || !strings.Contains(err.Error(), "no config file") {
				t.Fatalf("Make returned %v, want an error naming the key and the panic value", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Make blocked after a panicking build (%d of %d returned)", i, callers+1)
		}
	}
	go func() { _, err := c.Make("fragile"); errs <- err }()
	select {
	case err := <-errs:
		if err == nil || !strings.Contains(err.Error(), "no config file") {
			t.Fatalf("a later Make returned %v, want the provider's panic again", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a later Make blocked")
	}
}
