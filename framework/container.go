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

// Container binds providers to keys and makes their services, each built once and shared.
type Container struct {
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
	return &Container{providers: map[string]ServiceProvider{}, instances: map[string]*instance{}}
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, made := c.instances[key]; made {
		return fmt.Errorf("container: %q is already made; bind its provider before the first Make", key)
	}
	c.providers[key] = provider
	return nil
}

// Make returns the service bound to key, building it on first use. Concurrent callers of the same key wait
// for one build. It returns an error when nothing is bound to key, when the provider fails or panics (the
// error names key and the panic value; every caller waiting for that build gets it; the failure is not
// kept: the next Make builds again) or when the provider's dependencies lead back to key.
func (c *Container) Make(key string) (any, error) {
	return c.make(key, nil)
}

func (c *Container) make(key string, chain []string) (any, error) {
	if slices.Contains(chain, key) {
		return nil, fmt.Errorf("container: dependency cycle %s -> %s", strings.Join(chain, " -> "), key)
	}
	c.mu.Lock()
	if inst, ok := c.instances[key]; ok {
		c.mu.Unlock()
		<-inst.done
		if inst.err != nil {
			return nil, inst.err
		}
		return inst.value, nil
	}
	provider, ok := c.providers[key]
	if !ok {
		c.mu.Unlock()
		return nil, fmt.Errorf("container: no provider bound to %q", key)
	}
	inst := &instance{done: make(chan struct{})}
	c.instances[key] = inst
	c.mu.Unlock()

	inst.value, inst.err = build(provider, chainResolver{container: c, chain: append(slices.Clip(chain), key)})
	if inst.err != nil {
		inst.value, inst.err = nil, fmt.Errorf("make %q: %w", key, inst.err)
		c.mu.Lock()
		delete(c.instances, key)
		c.mu.Unlock()
	}
	close(inst.done)
	return inst.value, inst.err
}

// build calls provider.New, turning a panic into an error naming the provider and the panic value.
func build(provider ServiceProvider, resolver Resolver) (value any, err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			value, err = nil, fmt.Errorf("provider %T panicked: %v", provider, recovered)
		}
	}()
	return provider.New(resolver)
}

// chainResolver is the Resolver a provider receives: it remembers which keys are being built so that a
// cycle is an error instead of a deadlock.
type chainResolver struct {
	container *Container
	chain     []string
}

func (r chainResolver) Make(key string) (any, error) { return r.container.make(key, r.chain) }

// MakeAs makes the service bound to key and asserts it to T, e.g. MakeAs[contract.App](c, contract.AppKey).
// It returns Make's errors, or an error naming both types when the service is not a T.
func MakeAs[T any](resolver Resolver, key string) (T, error) {
	var zero T
	value, err := resolver.Make(key)
	if err != nil {
		return zero, err
	}
	typed, ok := value.(T)
	if !ok {
		return zero, fmt.Errorf("container: %q is a %T, not a %v", key, value, reflect.TypeFor[T]())
	}
	return typed, nil
}
