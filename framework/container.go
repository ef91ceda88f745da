// Package framework holds the service container of hade: services are bound by key through providers and
// built lazily, once, on first use. The container is safe for concurrent use.
package framework

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Container binds providers to keys and makes their services, each built once and shared. The container a
// provider's New receives is a view of the same container that also remembers which keys are being built,
// so that a dependency cycle is an error instead of a deadlock.
type Container struct {
	shared *services
	chain  []string // the keys being built, outermost first, when this is a provider's view
}

// services are the bindings and services every view of a container shares.
type services struct {
	mu        sync.Mutex
	providers map[string]ServiceProvider
	instances map[string]*instance
}

// instance is one service being built or built; done is closed when value is set.
type instance struct {
	done  chan struct{}
	value any
	err   error
}

// NewContainer returns an empty container.
func NewContainer() *Container {
	return &Container{shared: &services{providers: map[string]ServiceProvider{}, instances: map[string]*instance{}}}
}

// Bind registers provider under provider.Name(). Binding a key again replaces its provider as long as its
// service has not been made yet; after that Bind returns an error, because callers already hold the old
// service.
func (c *Container) Bind(provider ServiceProvider) error {
	if provider == nil {
		return errors.New("container: cannot bind a nil provider")
	}
	key := provider.Name()
	if key == "" {
		return fmt.Errorf("container: provider %T has an empty name", provider)
	}
	s := c.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, made := s.instances[key]; made {
		return fmt.Errorf("container: %q is already made; bind its provider before the first Make", key)
	}
	s.providers[key] = provider
	return nil
}

// Make returns the service bound to key, building it on first use. Concurrent callers of the same key wait
// for one build. It returns an error when nothing is bound to key, when the provider fails or panics (the
// error names key and the panic value; every caller waiting for that build gets it; the failure is not
// kept: the next Make builds again) or when the provider's dependencies lead back to key.
func (c *Container) Make(key string) (any, error) {
	if slices.Contains(c.chain, key) {
		return nil, fmt.Errorf("container: dependency cycle %s -> %s", strings.Join(c.chain, " -> "), key)
	}
	s := c.shared
	s.mu.Lock()
	if inst, ok := s.instances[key]; ok {
		s.mu.Unlock()
		<-inst.done
		return inst.value, inst.err
	}
	provider, ok := s.providers[key]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("container: no provider bound to %q", key)
	}
	inst := &instance{done: make(chan struct{})}
	s.instances[key] = inst
	s.mu.Unlock()

	inst.value, inst.err = build(provider, &Container{shared: s, chain: append(slices.Clip(c.chain), key)})
	if inst.err != nil {
		inst.value, inst.err = nil, fmt.Errorf("make %q: %w", key, inst.err)
		s.mu.Lock()
		delete(s.instances, key)
		s.mu.Unlock()
	}
	close(inst.done)
	return inst.value, inst.err
}

// build calls provider.New with view, turning a panic into an error naming the provider and the panic
// value.
func build(provider ServiceProvider, view *Container) (value any, err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			value, err = nil, fmt.Errorf("provider %T panicked: %v", provider, recovered)
		}
	}()
	return provider.New(view)
}

// MakeAs makes the service bound to key in container and asserts it to T, e.g.
// MakeAs[contract.App](container, contract.AppKey). It returns Make's errors, or an error naming both types
// when the service is not a T.
func MakeAs[T any](container *Container, key string) (T, error) {
	var zero T
	value, err := container.Make(key)
	if err != nil {
		return zero, err
	}
	typed, ok := value.(T)
	if !ok {
		return zero, fmt.Errorf("container: %q is a %T, not a %v", key, value, reflect.TypeFor[T]())
	}
	return typed, nil
}
