package framework

// ServiceProvider builds the service bound to one container key.
type ServiceProvider interface {
	// Name returns the container key the service is made by, e.g. contract.AppKey.
	Name() string
	// New builds the service. It may make the services it depends on from resolver. It is called at most
	// once per successful build: the container keeps the result and hands the same value to every caller.
	// An error is returned to the caller of Make and not kept, so a later Make tries again.
	New(resolver Resolver) (any, error)
}

// Resolver makes services by key. *Container implements it; providers receive one that also detects
// dependency cycles.
type Resolver interface {
	// Make returns the service bound to key, building it on first use. It returns an error when no
	// provider is bound to key, when the provider fails, or when building key needs key itself.
	Make(key string) (any, error)
}
