package framework

// ServiceProvider builds the service bound to one container key.
type ServiceProvider interface {
	// Name returns the container key the service is made by, e.g. contract.AppKey.
	Name() string
	// New builds the service. It may make the services it depends on from container, a view of the
	// container that reports a dependency cycle as an error. It is called at most once per successful
	// build: the container keeps the result and hands the same value to every caller. An error is returned
	// to the caller of Make and not kept, so a later Make tries again.
	New(container *Container) (any, error)
}
