package framework

import (
	"context"
	"errors"
)

type containerKey struct{}

// WithContainer returns a copy of ctx that carries container. The hade root command executes every command
// with such a context, and the cron scheduler gives one to every job run, so a command reaches the
// container the same way from the CLI and from cron: ContainerFrom(cmd.Context()).
func WithContainer(ctx context.Context, container *Container) context.Context {
	return context.WithValue(ctx, containerKey{}, container)
}

// ContainerFrom returns the container that ctx carries. It returns an error when ctx carries none: the
// command was not executed through the hade root (console.Root.Execute) or the cron scheduler.
func ContainerFrom(ctx context.Context) (*Container, error) {
	if ctx != nil {
		if container, ok := ctx.Value(containerKey{}).(*Container); ok && container != nil {
			return container, nil
		}
	}
	return nil, errors.New("no service container in this context: execute the command through the hade root command or the cron scheduler")
}
